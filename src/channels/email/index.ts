export { EmailErrors } from './errors.js';
export { type EmailMessage, type EmailSender, isEmailAddress, SmtpEmailSender, type SmtpSenderConfig, type StartTlsPolicy } from './smtp-sender.js';
export { parseSmtpUrl, type SmtpUrlSettings } from './smtp-url.js';
