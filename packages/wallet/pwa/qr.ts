import QRCode from 'qrcode';

/**
 * QR codes: drawn with the qrcode package as a PNG data: URL for an <img> (no HTML strings, so
 * Trusted Types have nothing to check; the page's CSP allows `img-src data:`), and read with the
 * browser's BarcodeDetector where there is one, else with jsQR from qr-reader.js, a separate
 * file loaded on first use (LAZY_SCRIPTS in scripts/build-pwa.mjs) so that the app's first load
 * does not carry it.
 */

/** Largest side a picture is scaled down to before jsQR reads it: phone photos are 4000 px and more. */
const READ_SIDE_PX_MAX = 1_280;

/**
 * A QR code of `text` as a PNG data: URL, or undefined when the text is too long for one (a QR
 * code holds at most 2,331 bytes at error correction level M).
 */
export async function qrDataUrl(text: string): Promise<string | undefined> {
  try {
    return await QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });
  } catch {
    return undefined;
  }
}

interface DetectedBarcode {
  readonly rawValue: string;
}

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource | ImageBitmap): Promise<DetectedBarcode[]>;
}

interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

let detector: Promise<BarcodeDetectorLike | undefined> | undefined;

/** The browser's QR detector (Shape Detection API), or undefined where it has none. */
function nativeDetector(): Promise<BarcodeDetectorLike | undefined> {
  detector ??= (async () => {
    const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
    if (!Detector) return undefined;
    const formats = await Detector.getSupportedFormats().catch((): string[] => []);
    return formats.includes('qr_code') ? new Detector({ formats: ['qr_code'] }) : undefined;
  })();
  return detector;
}

type Source = ImageBitmap | HTMLVideoElement;

function sizeOf(source: Source): { width: number; height: number } {
  return source instanceof HTMLVideoElement
    ? { width: source.videoWidth, height: source.videoHeight }
    : { width: source.width, height: source.height };
}

/** The source's pixels, scaled down so that jsQR reads a photo in a fraction of a second. */
function pixelsOf(source: Source): ImageData | undefined {
  const { width, height } = sizeOf(source);
  if (width === 0 || height === 0) return undefined;
  const scale = Math.min(1, READ_SIDE_PX_MAX / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) return undefined;
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** The text of the first QR code in a picture or a video frame, or undefined when none is found. */
export async function readQr(source: Source): Promise<string | undefined> {
  const native = await nativeDetector();
  if (native) {
    const [found] = await native.detect(source);
    return found?.rawValue;
  }
  const pixels = pixelsOf(source);
  if (!pixels) return undefined;
  const { decodeQr } = await import('./qr-reader.js');
  return decodeQr(pixels.data, pixels.width, pixels.height);
}

/** Reads a QR code from a picture file; undefined when the file is no picture or holds no QR code. */
export async function readQrFile(file: Blob): Promise<string | undefined> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return undefined;
  }
  try {
    return await readQr(bitmap);
  } finally {
    bitmap.close();
  }
}

/**
 * Reads QR codes from the camera into `video` until one is found or `signal` aborts; the camera
 * is released either way. Rejects when the camera cannot be opened (no camera, permission refused).
 */
export async function scanCamera(video: HTMLVideoElement, signal: AbortSignal): Promise<string | undefined> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  try {
    video.srcObject = stream;
    video.muted = true;
    video.setAttribute('playsinline', '');
    await video.play();
    // Leaving the screen removes the video: that ends the scan too.
    while (!signal.aborted && video.isConnected) {
      const text = video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA ? await readQr(video) : undefined;
      if (text !== undefined) return text;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return undefined;
  } finally {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  }
}

/** Whether this browser can open a camera at all (a page on http: other than localhost cannot). */
export function hasCamera(): boolean {
  return typeof navigator.mediaDevices?.getUserMedia === 'function';
}
