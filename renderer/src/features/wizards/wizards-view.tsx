/** Guided work on hosts; each wizard describes what it will do before it exists. */
export function WizardsView() {
  const planned = [
    {
      title: 'Clone a running VM',
      detail:
        'Copies memory by live migration into a second QEMU and disks through copy-on-write overlays, with the network isolated. Production keeps running.',
    },
    {
      title: 'Collect diagnostics',
      detail: 'Runs the heavy diagnostics inside the clone and seals the results as a verified capture bundle.',
    },
    {
      title: 'Clean up a host',
      detail: 'Finds and removes clones, overlays and helper files left by an interrupted job.',
    },
  ];
  return (
    <div className="wizards">
      <section className="panel notice">
        <h3 className="panel-title">Connect to a KVM host over SSH first</h3>
        <p>These wizards need a connected host. They are not available yet; this is what they will do.</p>
      </section>
      <ol className="wizard-list">
        {planned.map((wizard) => (
          <li key={wizard.title} className="panel wizard-card">
            <h3 className="panel-title">{wizard.title}</h3>
            <p className="muted">{wizard.detail}</p>
            <span className="badge badge-small">planned</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
