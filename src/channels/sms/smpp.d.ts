/**
 * The part of `smpp` 0.5.1 (node-smpp, CommonJS, no types of its own) that Custodia uses: the
 * client session for the sender, and the server for the tests that stand in for an SMSC.
 *
 * PDU parameters keep the package's (and the specification's) snake_case names. Only the fields
 * read or written here are typed; a PDU carries whatever its command defines.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer } from 'node:net';

  /** A decoded `short_message` or `message_payload`: the package decodes by `data_coding`. */
  export interface DecodedMessage {
    message: string | Buffer;
    udh?: Buffer[];
  }

  export interface PDU {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    system_id?: string;
    password?: string;
    system_type?: string;
    interface_version?: number;
    message_id?: string;
    source_addr_ton?: number;
    source_addr_npi?: number;
    source_addr?: string;
    dest_addr_ton?: number;
    dest_addr_npi?: number;
    destination_addr?: string;
    esm_class?: number;
    registered_delivery?: number;
    data_coding?: number | null;
    short_message?: DecodedMessage | Buffer | string;
    message_payload?: DecodedMessage | Buffer | string;
    receipted_message_id?: string;
    message_state?: number;
    isResponse(): boolean;
    /** The response PDU to this request (`generic_nack` for an unknown command). */
    response(options?: Record<string, unknown>): PDU;
  }

  export type PduCallback = (pdu: PDU) => void;

  /** Options of `connect`: passed on to `net.connect` or, with `tls`, to `tls.connect`. */
  export interface ConnectOptions {
    host: string;
    port: number;
    tls?: boolean;
    ca?: string | Buffer | Array<string | Buffer>;
    servername?: string;
    /** Sends `enquire_link` every this many milliseconds once connected. */
    auto_enquire_link_period?: number;
  }

  export interface Session extends EventEmitter {
    /** Sends a PDU; false (and nothing sent) when the socket is no longer writable. */
    send(pdu: PDU, responseCallback?: PduCallback, sendCallback?: PduCallback): boolean;
    bind_transmitter(params: Record<string, unknown>, responseCallback?: PduCallback): boolean;
    bind_transceiver(params: Record<string, unknown>, responseCallback?: PduCallback): boolean;
    submit_sm(params: Record<string, unknown>, responseCallback?: PduCallback): boolean;
    deliver_sm(params: Record<string, unknown>, responseCallback?: PduCallback): boolean;
    unbind(params?: Record<string, unknown>, responseCallback?: PduCallback): boolean;
    enquire_link(params?: Record<string, unknown>, responseCallback?: PduCallback): boolean;
    pause(): void;
    resume(): void;
    /** Ends the connection gracefully. */
    close(callback?: () => void): void;
    /** Destroys the socket at once. */
    destroy(callback?: () => void): void;
  }

  export interface Server extends NetServer {
    readonly sessions: Session[];
  }

  export interface ServerOptions {
    key?: string | Buffer;
    cert?: string | Buffer;
  }

  /** One of the package's text encodings (`ASCII` is the GSM 03.38 default alphabet, unpacked). */
  export interface Encoding {
    match(value: string): boolean;
    encode(value: string): Buffer;
    decode(value: Buffer): string;
  }

  interface Smpp {
    connect(options: ConnectOptions, listener?: () => void): Session;
    createServer(listener: (session: Session) => void): Server;
    createServer(options: ServerOptions, listener: (session: Session) => void): Server;
    /** Status names (`ESME_RTHROTTLED`) to their command_status values. */
    readonly errors: Readonly<Record<string, number>>;
    readonly encodings: { readonly ASCII: Encoding; readonly UCS2: Encoding };
  }

  const smpp: Smpp;
  export default smpp;
}
