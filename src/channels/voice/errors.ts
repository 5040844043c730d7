import { defineErrors } from '../../platform/errors.js';

/** Failures of the voice-call hook. Like the SMS codes: reasons and statuses only, never the text or the number. */
export const VoiceErrors = defineErrors('channels', {
  voice_unavailable: { status: 503, title: 'The voice-call provider is unavailable' },
  voice_rejected: { status: 502, title: 'The voice-call provider rejected the call' },
});
