import { render } from 'preact';
import { App } from './app';
import { completeProviderSignIn, loadDeskConfig, takeAuthorizationResponse } from './provider-sign-in';
import { takeTokenFromFragment } from './session';

// First, before anything can read or send the address: an identity provider's authorization
// response (its code) and a login link's token leave it.
const authorizationResponse = takeAuthorizationResponse();
const linked = takeTokenFromFragment();

const start = async () => {
  await loadDeskConfig();
  const fromProvider = await completeProviderSignIn(authorizationResponse);
  render(<App linkedToken={fromProvider ?? linked} />, document.getElementById('app') as HTMLElement);
};

void start();
