import { useEffect, useRef, useState, type ReactNode } from 'react';

/** A button that asks first, in a modal dialog (focus moves into it; Escape cancels). */
export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel,
  onConfirm,
  danger = false,
  disabled = false,
}: {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void | Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <>
      <button type="button" className={danger ? 'btn btn-danger' : 'btn'} onClick={() => setOpen(true)} disabled={disabled}>
        {label}
      </button>
      {open ? (
        <div className="modal-backdrop">
          <div className="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
            <h2 id="confirm-title">{title}</h2>
            <div>{children}</div>
            <div className="actions">
              <button type="button" className="btn" ref={cancelRef} onClick={() => setOpen(false)}>
                Cancel
              </button>
              <button
                type="button"
                className={danger ? 'btn btn-danger' : 'btn btn-primary'}
                onClick={async () => {
                  setOpen(false);
                  await onConfirm();
                }}
              >
                {confirmLabel}
              </button>
            </div>
          </div>
        </div>
      ) : null}
    </>
  );
}
