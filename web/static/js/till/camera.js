// The camera as a barcode reader, where the browser reads barcodes itself (BarcodeDetector: Chrome on
// Android, for one); elsewhere the page hides the camera button and a keyboard-wedge scanner does.
const FORMATS = ['ean_13', 'ean_8', 'upc_a', 'upc_e', 'code_128'];
// how often a frame is looked at
const EVERY_MS = 250;

/** A camera that shows in `view` (its `video`) and hands the first barcode it reads to `onCode`. */
export function barcodeCamera({ view, video, onCode, onClose, onFailure }) {
  let stream = null;

  const close = () => {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    view.hidden = true;
    onClose();
  };

  const open = async () => {
    try {
      const detector = new window.BarcodeDetector({ formats: FORMATS });
      const opened = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      stream = opened;
      video.srcObject = opened;
      view.hidden = false;
      await video.play();
      const look = async () => {
        if (stream !== opened) return; // closed meanwhile
        const codes = await detector.detect(video).catch(() => []);
        if (codes.length) {
          close();
          await onCode(codes[0].rawValue);
        } else {
          setTimeout(look, EVERY_MS);
        }
      };
      look();
    } catch {
      close();
      onFailure();
    }
  };

  return { open, close };
}
