/** Prompt marks on the interactive canvas: points, boxes, the cursor. Sizes are in CSS px × `px`. */
import type { Box, ImagePx, Point } from '@tsam/core';
import type { Tool } from '../state/ui.js';

export function drawPoints(ctx: CanvasRenderingContext2D, points: readonly Point<ImagePx>[], labels: readonly number[], px: number): void {
  points.forEach(([x, y], i) => {
    const pos = labels[i] === 1;
    ctx.beginPath();
    ctx.arc(x, y, 6 * px, 0, Math.PI * 2);
    ctx.fillStyle = pos ? '#22c55e' : '#ef4444';
    ctx.fill();
    ctx.lineWidth = 2 * px;
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x - 3 * px, y);
    ctx.lineTo(x + 3 * px, y);
    if (pos) {
      ctx.moveTo(x, y - 3 * px);
      ctx.lineTo(x, y + 3 * px);
    }
    ctx.lineWidth = 1.5 * px;
    ctx.stroke();
  });
}

export function drawBox(ctx: CanvasRenderingContext2D, box: Box<ImagePx>, px: number, dragging: boolean): void {
  const [x0, y0, x1, y1] = box;
  ctx.save();
  ctx.lineWidth = 2 * px;
  ctx.strokeStyle = dragging ? '#facc15' : '#38bdf8';
  ctx.setLineDash(dragging ? [6 * px, 4 * px] : []);
  ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  ctx.restore();
}

export function drawCursor(ctx: CanvasRenderingContext2D, [x, y]: Point<ImagePx>, tool: Tool, radius: number, px: number): void {
  ctx.save();
  ctx.lineWidth = 1.5 * px;
  if (tool === 'segment') {
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    ctx.beginPath();
    ctx.moveTo(x - 8 * px, y);
    ctx.lineTo(x + 8 * px, y);
    ctx.moveTo(x, y - 8 * px);
    ctx.lineTo(x, y + 8 * px);
    ctx.stroke();
  } else {
    ctx.strokeStyle = tool === 'brush' ? '#22c55e' : '#ef4444';
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, Math.PI * 2);
    ctx.stroke();
  }
  ctx.restore();
}

/** The stroke being painted: a round-capped line as wide as the brush. */
export function drawStroke(ctx: CanvasRenderingContext2D, points: readonly Point<ImagePx>[], tool: Tool, radius: number): void {
  if (points.length === 0) return;
  ctx.save();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = radius * 2;
  ctx.strokeStyle = tool === 'brush' ? 'rgba(30,144,255,0.55)' : 'rgba(239,68,68,0.55)';
  ctx.beginPath();
  const [x0, y0] = points[0]!;
  ctx.moveTo(x0, y0);
  for (const [x, y] of points.slice(1)) ctx.lineTo(x, y);
  if (points.length === 1) ctx.lineTo(x0 + 0.01, y0);
  ctx.stroke();
  ctx.restore();
}
