import type { PDU } from 'smpp';
import { describe, expect, it } from 'vitest';
import { isDeliveryReceipt, parseDeliveryReceipt } from './delivery-receipt.js';

/** The fields of a decoded deliver_sm that the parser reads. */
function deliverSm(fields: Partial<PDU>): PDU {
  return { command: 'deliver_sm', esm_class: 0x04, ...fields } as PDU;
}

describe('parseDeliveryReceipt', () => {
  it('reads id, stat and err from the SMPP 3.4 Appendix B text, and nothing of the original text', () => {
    const receipt = parseDeliveryReceipt(
      deliverSm({ short_message: { message: 'id:0123456789 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:Your code is 493817' } }),
    );
    expect(receipt).toEqual({ messageId: '0123456789', state: 'delivered', errorCode: '000' });
    expect(JSON.stringify(receipt)).not.toContain('493817');
  });

  it('prefers the receipted_message_id and message_state TLVs to the text', () => {
    const receipt = parseDeliveryReceipt(deliverSm({ receipted_message_id: 'abc-1', message_state: 5, short_message: { message: 'id:other stat:DELIVRD' } }));
    expect(receipt).toEqual({ messageId: 'abc-1', state: 'undeliverable' });
  });

  it.each([
    ['EXPIRED', 'expired'],
    ['UNDELIV', 'undeliverable'],
    ['REJECTD', 'rejected'],
    ['ACCEPTD', 'accepted'],
    ['DELETED', 'deleted'],
    ['ENROUTE', 'enroute'],
    ['WHATEVER', 'unknown'],
  ])('maps stat:%s to %s', (word, state) => {
    expect(parseDeliveryReceipt(deliverSm({ short_message: { message: `id:9 stat:${word}` } }))?.state).toBe(state);
  });

  it('ignores a deliver_sm that is not a receipt, or one that names no message', () => {
    const mobileOriginated = deliverSm({ esm_class: 0x00, short_message: { message: 'id:1 stat:DELIVRD' } });
    expect(isDeliveryReceipt(mobileOriginated)).toBe(false);
    expect(parseDeliveryReceipt(mobileOriginated)).toBeUndefined();
    expect(parseDeliveryReceipt(deliverSm({ short_message: { message: 'stat:DELIVRD' } }))).toBeUndefined();
    // The UDH indicator bit does not make a receipt something else.
    expect(isDeliveryReceipt(deliverSm({ esm_class: 0x44 }))).toBe(true);
  });
});
