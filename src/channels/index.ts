/** Outbound channels: what other domains import. */
export { ChannelErrors } from './errors.js';
export { assertSmsMessage, isE164, type SmsMessage, type SmsSender, type SmsSendResult } from './sms/sender.js';
export { SmppSmsSender, smppStatusName } from './sms/smpp-sender.js';
export { SMPP_DEFAULTS, type SmppSmsSenderConfig, type SmppTlsOptions } from './sms/smpp-config.js';
export { parseSmppUrl, type SmppUrlSettings } from './sms/smpp-url.js';
export type { DeliveryReceipt, DeliveryState } from './sms/delivery-receipt.js';
export { HttpSmsSender, type HttpSmsSenderConfig } from './sms/http-provider.js';
export { EmailErrors, type EmailMessage, type EmailSender, isEmailAddress, parseSmtpUrl, SmtpEmailSender, type SmtpSenderConfig, type StartTlsPolicy } from './email/index.js';
export { HttpVoiceCallSender, type VoiceCall, type VoiceCallSender, VoiceErrors } from './voice/index.js';
