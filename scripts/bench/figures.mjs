/** The figures `npm run bench` measures, their targets, and how many runs each takes. */

/** Each figure: the model it runs, its runs, what it measures, and its target (from the performance issues). */
export const FIGURES = {
  'encoder-mobilesam': {
    model: 'mobile_sam',
    runs: 10,
    what: 'MobileSAM encoder (1024² input)',
    target: { ms: 600 },
  },
  'encoder-vitb': {
    model: 'vit_b',
    runs: 5,
    what: 'ViT-B encoder (1024² input)',
    target: { ms: 7000, rssMb: 1536 },
  },
  'predict-1pt': {
    model: 'mobile_sam',
    runs: 30,
    what: '`predict`, 1 point → 3 masks at 1800×1200',
    target: { ms: 25 },
  },
  'predict-1pt-trained': {
    model: 'sam_vit_mini_trained',
    fixture: 'sam_vit_mini_trained.pth',
    supplementary: true,
    runs: 30,
    what: '`predict` as above with a trained decoder (sam_vit_mini_trained fixture: same decoder size, smooth masks)',
    target: { ms: 25 },
  },
  'amg-32-mobilesam': {
    model: 'mobile_sam',
    runs: 3,
    what: 'AMG 32×32, MobileSAM, 1800×1200 (encoder included)',
    target: { ms: 30000 },
  },
  'browser-decoder': {
    model: 'mobile_sam',
    runs: 20,
    what: 'decoder in headless Chromium (onnxruntime-web, wasm)',
    target: { ms: 40 },
  },
};
