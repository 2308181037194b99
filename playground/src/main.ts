// Boot: the man pages panel (static text), then the app, which loads OpenSSL and runs a first handshake.
import { App } from './app.js';
import { byTestId, h } from './dom.js';
import { LICENSE_NOTE, MAN_PAGES } from './manpages.js';
import { renderQuote } from './report.js';

function renderManPages(): void {
  const root = byTestId('manpages');
  root.append(
    h('p', { class: 'hint' }, 'Our own summary first, then the sentences that carry the rules, quoted from OpenSSL 3.5.'),
    ...MAN_PAGES.map((m, i) =>
      h(
        'details',
        { open: i === 0, 'data-page': m.page },
        h('summary', {}, h('code', {}, m.page)),
        h('p', { class: 'summary' }, h('strong', {}, 'In short: '), m.summary),
        ...m.quotes.map(renderQuote),
      ),
    ),
  );
  byTestId('license-note').textContent = LICENSE_NOTE;
}

renderManPages();
const app = new App();
app
  .start()
  .then(() => {
    document.body.dataset.ready = 'true';
  })
  .catch((error: unknown) => {
    byTestId('status').textContent = `OpenSSL could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
    document.body.dataset.ready = 'failed';
    throw error;
  });
