// A real SMTP server (smtp-server) on 127.0.0.1 at a port the OS picks: every
// accepted message is parsed (mailparser) and appended to LOG as one JSON line
// {from, to, subject, messageId, text}. Prints the port on stdout once it
// listens. Usage: node smtp_sink.mjs LOG [USER PASSWORD]
// With USER/PASSWORD it requires AUTH and offers STARTTLS with the
// certificate in SMTP_TLS_CERT / SMTP_TLS_KEY.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import fs from 'node:fs';

const [log, user, password] = process.argv.slice(2);
const secure = Boolean(user);
const options = {
  authOptional: !secure,
  disabledCommands: secure ? [] : ['AUTH', 'STARTTLS'],
  onAuth(auth, session, cb) {
    if (auth.username === user && auth.password === password) return cb(null, { user });
    return cb(new Error('invalid credentials'));
  },
  onData(stream, session, cb) {
    simpleParser(stream).then(mail => {
      fs.appendFileSync(log, JSON.stringify({
        from: session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map(r => r.address),
        subject: mail.subject,
        messageId: mail.messageId,
        secure: session.secure,
        user: session.user ?? null,
        text: mail.text,
      }) + '\n');
      cb();
    }, cb);
  },
};
if (secure) {
  options.key = fs.readFileSync(process.env.SMTP_TLS_KEY);
  options.cert = fs.readFileSync(process.env.SMTP_TLS_CERT);
}
const server = new SMTPServer(options);
server.listen(0, '127.0.0.1', () => console.log(server.server.address().port));
