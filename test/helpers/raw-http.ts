/**
 * Raw HTTP/1.1 for the tests that need requests in flight at a given moment (shutdown) or
 * arriving too slowly (timeouts), which an HTTP client library would not let them write.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An HTTP/1.1 client on a raw socket, so the test decides exactly when each byte is sent. */
export class RawConnection {
  readonly socket: net.Socket;
  #received = '';
  #closed = false;
  #error: NodeJS.ErrnoException | undefined;
  #listeners = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#received += chunk;
      this.#notify();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#error = error;
      this.#notify();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#notify();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(text, (error) => (error ? reject(error) : resolve())));
  }

  /** The first complete response (framed by Content-Length); rejects if the socket ends first. */
  response(): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const parsed = parseResponse(this.#received);
        if (parsed !== undefined) {
          this.#listeners.delete(check);
          resolve(parsed);
        } else if (this.#closed || this.#error !== undefined) {
          this.#listeners.delete(check);
          reject(new Error(`connection ended (${this.#error?.code ?? 'closed'}) before a full response: ${JSON.stringify(this.#received)}`));
        }
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Resolves once the server has closed the connection. */
  closed(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#closed) {
          this.#listeners.delete(check);
          resolve();
        }
      };
      this.#listeners.add(check);
      check();
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

export function parseResponse(text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? '0');
  const body = text.slice(end + 4);
  if (Buffer.byteLength(body) < length) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}
