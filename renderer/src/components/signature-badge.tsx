import type { SignatureStatus } from '../../../preload/api';

/**
 * Who sealed the capture: the workstation key's fingerprint (what the signature proves) and the name
 * its user gave it (self-chosen, so shown as such); "Unsigned" for captures made before signing.
 */
export function SignatureBadge({ signature }: { signature: SignatureStatus | undefined }) {
  if (signature === undefined || signature.state === 'unsigned') {
    return (
      <span className="badge signature-badge" data-testid="signature-badge" data-signature="unsigned" title="This capture carries no workstation signature">
        Unsigned
      </span>
    );
  }
  if (signature.state === 'invalid') {
    return (
      <span className="badge badge-danger signature-badge" data-testid="signature-badge" data-signature="invalid" title={signature.code}>
        <span aria-hidden="true">✖</span> Signature fails{signature.signer ? `: claims ${signature.signer.fingerprint}` : ''}
      </span>
    );
  }
  const { signer } = signature;
  return (
    <span
      className="badge badge-ok signature-badge"
      data-testid="signature-badge"
      data-signature="valid"
      title={`Signed ${signature.signedAt} by the workstation key ${signer.fingerprint}; covers ${signature.custodyEntriesSigned} custody entries`}
    >
      <span aria-hidden="true">✔</span> Signed by <span className="mono">{signer.fingerprint}</span>
      {signer.name === null ? null : <span className="muted"> (“{signer.name}”, self-named)</span>}
    </span>
  );
}
