/**
 * Mask → polygons (outer boundaries and holes), for COCO polygon export.
 *
 * Masks are row-major `h × w` bytes, nonzero = set. Polygons trace the pixel edges, so vertices
 * are pixel CORNERS `[x, y]` with `0 ≤ x ≤ w`, `0 ≤ y ≤ h` (pixel (x, y) covers the unit square
 * from `[x, y]` to `[x + 1, y + 1]`, the COCO convention); only corners where the boundary turns
 * are kept, so the polygon encloses exactly the mask pixels. Foreground is 8-connected (diagonal
 * pixels belong to one polygon) and holes are 4-connected, matching `connectedComponents(…, 8)`.
 */
import { connectedComponents } from './components.js';

/** A polygon vertex `[x, y]` on the pixel-corner grid. */
export type PolygonPoint = [x: number, y: number];

/** One 8-connected component: its outer boundary and the boundaries of its holes. */
export interface MaskPolygon {
  /** Outer boundary, clockwise on screen (y down); positive shoelace area. */
  exterior: PolygonPoint[];
  /** Hole boundaries, counter-clockwise on screen; negative shoelace area. */
  holes: PolygonPoint[][];
}

// Edge directions: 0 east (+x), 1 south (+y), 2 west (−x), 3 north (−y).
const DX = [1, 0, -1, 0] as const;
const DY = [0, 1, 0, -1] as const;

/** Signed shoelace area of a closed polygon (y down: clockwise on screen is positive). */
export function polygonArea(points: readonly PolygonPoint[]): number {
  let s = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    s += x0 * y1 - x1 * y0;
  }
  return s / 2;
}

/**
 * Boundary polygons of every 8-connected component, in component label order (first 2×2 block in
 * raster order). Each edge between a set pixel and an unset (or outside) one is walked with the
 * mask on the right; at a diagonal "saddle" corner the walk turns left, which joins diagonal
 * pixels into one outline.
 */
export function maskToPolygons(mask: ArrayLike<number>, h: number, w: number): MaskPolygon[] {
  const { count, labels } = connectedComponents(mask, h, w, 8);
  const vw = w + 1;
  const out = new Uint8Array(vw * (h + 1)); // bit d set: an edge leaves this corner in direction d
  const on = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < w && y < h && !!mask[y * w + x];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!on(x, y)) continue;
      if (!on(x, y - 1)) out[y * vw + x]! |= 1; // top edge, east
      if (!on(x + 1, y)) out[y * vw + x + 1]! |= 2; // right edge, south
      if (!on(x, y + 1)) out[(y + 1) * vw + x + 1]! |= 4; // bottom edge, west
      if (!on(x - 1, y)) out[(y + 1) * vw + x]! |= 8; // left edge, north
    }
  }
  const edges = out.slice();
  const exteriors: (PolygonPoint[] | undefined)[] = new Array<PolygonPoint[] | undefined>(count).fill(undefined);
  const holes: PolygonPoint[][][] = Array.from({ length: count }, () => []);
  for (let v0 = 0; v0 < out.length; v0++) {
    while (out[v0]) {
      const d0 = 31 - Math.clz32(out[v0]! & -out[v0]!); // lowest set bit
      const x0 = v0 % vw;
      const y0 = (v0 - x0) / vw;
      // The set pixel right of the first edge names the component.
      const px = d0 === 0 || d0 === 3 ? x0 : x0 - 1;
      const py = d0 === 0 || d0 === 1 ? y0 : y0 - 1;
      const label = labels[py * w + px]!;
      const loop = trace(out, edges, vw, x0, y0, d0);
      if (polygonArea(loop) > 0) exteriors[label] = loop;
      else holes[label]!.push(loop);
    }
  }
  const result: MaskPolygon[] = [];
  for (let l = 1; l < count; l++) {
    const exterior = exteriors[l];
    if (exterior) result.push({ exterior, holes: holes[l]! });
  }
  return result;
}

/**
 * Walks one closed boundary from edge (x0, y0, d0), clearing its edges in `out`; returns its
 * corners. `edges` holds the original edge bits: a corner with two outgoing edges is a saddle,
 * where the walk takes the left turn (a bijection from incoming to outgoing edges, so the walk
 * comes back to its first edge).
 */
function trace(out: Uint8Array, edges: Uint8Array, vw: number, x0: number, y0: number, d0: number): PolygonPoint[] {
  const points: PolygonPoint[] = [];
  let x = x0;
  let y = y0;
  let d = d0;
  for (;;) {
    out[y * vw + x]! &= ~(1 << d);
    x += DX[d]!;
    y += DY[d]!;
    const bits = edges[y * vw + x]!;
    const next = bits & (bits - 1) ? (d + 3) % 4 : 31 - Math.clz32(bits);
    if (x === x0 && y === y0 && next === d0) {
      if (next !== d) points.unshift([x0, y0]);
      return points;
    }
    if (!(out[y * vw + x]! & (1 << next))) throw new Error('maskToPolygons: broken boundary (internal error)');
    if (next !== d) points.push([x, y]);
    d = next;
  }
}

/**
 * COCO polygon lists (`[x0, y0, x1, y1, …]` per outline) of the exteriors. COCO polygons cannot
 * express holes (pycocotools unions the polygons), so holes are left out; use RLE for exact masks.
 */
export function polygonsToCoco(polygons: readonly MaskPolygon[]): number[][] {
  return polygons.map((p) => p.exterior.flatMap(([x, y]) => [x, y]));
}
