import { render } from 'preact';
import { App } from './app.js';
import { getLang } from './i18n.js';

document.documentElement.lang = getLang();
const root = document.getElementById('app');
if (root) render(<App />, root);
