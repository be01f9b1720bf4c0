import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { buildMime } from './mime.js';

export interface OutgoingEmail {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly date: Date;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Sends one e-mail; throws when the service refuses it. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<{ readonly messageId: string }>;
}

/** SES v2 `SendEmail` with raw MIME content (text and HTML alternatives, our own headers). */
export function sesMailer(client: Pick<SESv2Client, 'send'>, options: { configurationSet?: string } = {}): Mailer {
  return {
    async send(email) {
      const raw = buildMime(email);
      const response = await client.send(
        new SendEmailCommand({
          FromEmailAddress: email.from,
          Destination: { ToAddresses: [...email.to] },
          Content: { Raw: { Data: Buffer.from(raw, 'utf8') } },
          ...(options.configurationSet === undefined ? {} : { ConfigurationSetName: options.configurationSet }),
        }),
      );
      return { messageId: response.MessageId ?? 'unknown' };
    },
  };
}
