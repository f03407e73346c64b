import { useState, type DragEvent } from 'react';

/** A target for a dropped `.civic` file or capture folder. */
export function DropZone({ onFile, disabled }: { onFile: (file: File) => void; disabled: boolean }) {
  const [over, setOver] = useState(false);
  const accept = (event: DragEvent<HTMLDivElement>): void => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    setOver(true);
  };
  const drop = (event: DragEvent<HTMLDivElement>): void => {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer?.files[0];
    if (file && !disabled) onFile(file);
  };
  return (
    <div
      className={over ? 'drop-zone drop-zone-over' : 'drop-zone'}
      data-testid="drop-zone"
      onDragEnter={accept}
      onDragOver={accept}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
    >
      <span className="drop-zone-title">Drop a capture here</span>
      <span className="drop-zone-detail">a .civic file or a capture folder</span>
    </div>
  );
}
