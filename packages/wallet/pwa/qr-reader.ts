import jsqr from 'jsqr';

/**
 * The QR code reader for browsers without BarcodeDetector (Firefox, Safari, desktop Chrome on
 * Windows and Linux). jsQR is about 47 KB gzipped, a quarter of the app's load budget, so the
 * build makes this module its own file (qr-reader.js) and qr.ts imports it only when a picture
 * or the camera is read without BarcodeDetector. The service worker keeps it for offline use.
 */

/** The text of the first QR code in RGBA pixels, or undefined when there is none. */
export function decodeQr(pixels: Uint8ClampedArray, width: number, height: number): string | undefined {
  // jsqr is CommonJS exporting { default: jsQR }: from an ES module its default import is that object.
  const found = jsqr.default(pixels, width, height, { inversionAttempts: 'attemptBoth' });
  return found?.data;
}
