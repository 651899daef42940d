import { render } from 'preact';
import { App } from './app';
import { takeTokenFromFragment } from './session';

// First, before anything can read or send the address: the login link's token leaves it.
const linked = takeTokenFromFragment();
render(<App linkedToken={linked} />, document.getElementById('app') as HTMLElement);
