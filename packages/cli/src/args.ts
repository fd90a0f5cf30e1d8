/** Parsers for CLI values; each throws an InvalidArgumentError that names the bad value. */
import { InvalidArgumentError } from 'commander';

function numbers(value: string, counts: readonly number[], what: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (!counts.includes(parts.length) || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) {
    throw new InvalidArgumentError(`expected ${what}, got "${value}"`);
  }
  return nums;
}

export interface PointArg {
  x: number;
  y: number;
  label: number;
}

/** The one prompt syntax of every command: `--point X,Y[,LABEL]`. */
export const POINT_FLAG = '--point <x,y[,label]>';
export const POINT_HELP = 'point prompt in image pixels; label 1 = foreground (the default), 0 = background; repeatable';
export const BOX_FLAG = '--box <x0,y0,x1,y1>';
export const BOX_HELP = 'box prompt XYXY in image pixels';

/** `X,Y` or `X,Y,LABEL` in image pixels; label 1 = foreground (default), 0 = background. Repeatable. */
export function parsePoint(value: string, previous: PointArg[] = []): PointArg[] {
  const [x, y, label = 1] = numbers(value, [2, 3], 'X,Y or X,Y,LABEL (e.g. 120,80 or 120,80,0)') as [number, number, number?];
  if (label !== 0 && label !== 1)
    throw new InvalidArgumentError(`point label must be 1 (foreground) or 0 (background), got ${label} in "${value}"`);
  return [...previous, { x, y, label }];
}

/** `X0,Y0,X1,Y1` in image pixels. */
export function parseBox(value: string): [number, number, number, number] {
  return numbers(value, [4], 'X0,Y0,X1,Y1 (e.g. 10,20,300,240)') as [number, number, number, number];
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** `0` (let ONNX Runtime choose) or a positive thread count. */
export function parseThreads(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a positive integer (or 0 for the default), got "${value}"`);
  return n;
}
