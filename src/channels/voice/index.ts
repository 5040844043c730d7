export { VoiceErrors } from './errors.js';
export { HttpVoiceCallSender, type HttpVoiceCallSenderConfig, type VoiceCall, type VoiceCallSender } from './voice-provider.js';
