import { Webhook } from 'standardwebhooks';
import { newSigningSecret, signedHeaders } from './webhook-signature';

describe('Standard Webhooks signing', () => {
  const body = JSON.stringify({ id: 'e1', type: 'ConversationOpened', data: { conversationId: 'c1' } });
  const sentAt = new Date();

  it('given one secret, then the reference library verifies the message and refuses a changed body', () => {
    const secret = newSigningSecret();
    const headers = signedHeaders('msg_1', sentAt, body, [secret]);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(sentAt.getTime() / 1000)));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace('c1', 'c2'), headers)).toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
  });

  it('given two secrets (a rotation), then a receiver holding either verifies the message', () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    const headers = signedHeaders('msg_2', sentAt, body, [current, previous]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
  });

  it('makes secrets in the whsec_ form, 24 random bytes, different each time', () => {
    const secrets = new Set(Array.from({ length: 20 }, newSigningSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).toHaveLength(24);
  });

  it('refuses to sign without a secret', () => {
    expect(() => signedHeaders('m', sentAt, body, [])).toThrow(/secret/);
  });
});
