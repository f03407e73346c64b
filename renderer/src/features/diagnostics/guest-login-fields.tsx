/** The SSH way in: a login to the clone's own sshd and the clone host key the user accepted. */
export function GuestLoginFields({
  login,
  disabled,
  onChange,
}: {
  login: { readonly user: string; readonly identityFile: string; readonly hostKeySha256: string };
  disabled: boolean;
  onChange: (change: Partial<{ user: string; identityFile: string; hostKeySha256: string }>) => void;
}) {
  return (
    <fieldset className="capture-login" disabled={disabled}>
      <legend>SSH into the clone</legend>
      <label>
        Guest user <input type="text" data-testid="capture-guest-user" value={login.user} autoComplete="off" onChange={(event) => onChange({ user: event.target.value })} />
      </label>{' '}
      <label>
        Key file on this machine{' '}
        <input type="text" data-testid="capture-guest-key" value={login.identityFile} placeholder="/home/me/.ssh/id_ed25519" onChange={(event) => onChange({ identityFile: event.target.value })} />
      </label>{' '}
      <label>
        Accepted clone host key{' '}
        <input
          type="text"
          data-testid="capture-guest-host-key"
          value={login.hostKeySha256}
          placeholder="SHA256:…"
          aria-describedby="capture-guest-host-key-help"
          onChange={(event) => onChange({ hostKeySha256: event.target.value })}
        />
      </label>
      <p id="capture-guest-host-key-help" className="muted">
        The clone shows the production VM&apos;s own host key. Leave it empty on the first run: the capture stops and names the key offered;
        compare it with the VM&apos;s known key, then paste it here.
      </p>
    </fieldset>
  );
}
