/**
 * Builds verification for a server from its configuration: the senders (SMS over SMPP or an HTTP
 * provider, email over SMTP, the voice-call hook), the dispatcher, the method registry and the
 * service. Senders connect lazily, on the first message: a gateway that is down does not stop the
 * server.
 */
import { readFileSync } from 'node:fs';
import { HttpSmsSender, HttpVoiceCallSender, parseSmppUrl, SmppSmsSender, SmtpEmailSender } from '../channels/index.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import type { EventBus } from '../platform/events.js';
import type { Logger } from '../platform/logger.js';
import type { Vault } from '../vault/index.js';
import { createOtpDispatcher, type OtpDispatcher, type OtpSenders, startOtpDispatcher } from './dispatch.js';
import { MethodRegistry } from './registry.js';
import { createVerificationService, otpMethodProviders, type VerificationService } from './service.js';
import { biometricMethodProviders, type BiometricProvider, type BiometricService, createBiometricService, ReferenceBiometricProvider } from './biometrics/index.js';
import { createRiskEngine, type RiskEngine } from './risk/index.js';
import { type ContactSignalsFn, createContactSignals } from './contact/index.js';
import { MxChecker } from './contact/mx.js';
import { createDocumentMethod, type DocumentMethod, documentMethodProvider } from './document-method.js';
import { DEFAULT_GENERATORS } from './questions/dynamic.js';
import { createQuestionMethods, questionMethodProviders, type QuestionMethods } from './questions/service.js';

export interface Verification {
  readonly service: VerificationService;
  readonly dispatcher: OtpDispatcher;
  readonly registry: MethodRegistry;
  /** Security questions and the document check (registered in `registry`). */
  readonly methods: { readonly questions: QuestionMethods; readonly document: DocumentMethod };
  /** Contact signals for the risk engine (contact/index.ts). */
  readonly contactSignals: ContactSignalsFn;
  /** The risk engine: the level each action needs for a caller now (risk/). */
  readonly risk: RiskEngine;
  /** Biometric consent, enrollment and verification (biometrics/; methods registered in `registry`). */
  readonly biometrics: BiometricService;
  /** Starts the poller for codes left queued (a crash, a gateway down); `pollIntervalMs` 0: none. */
  start(pollIntervalMs: number): void;
  close(): Promise<void>;
}

export function sendersFromConfig(config: Config, logger: Logger): OtpSenders {
  const sms = config.smsHttpUrl !== undefined
    ? new HttpSmsSender({ url: config.smsHttpUrl, token: config.smsHttpToken })
    : config.smppUrl !== undefined
      ? new SmppSmsSender({ ...parseSmppUrl(config.smppUrl), logger })
      : undefined;
  const email =
    config.smtpUrl === undefined
      ? undefined
      : new SmtpEmailSender({ url: config.smtpUrl, from: config.smtpFrom, starttls: config.smtpStarttls, ca: config.smtpCaFile === undefined ? undefined : readFileSync(config.smtpCaFile) });
  const voice = config.voiceHookUrl === undefined ? undefined : new HttpVoiceCallSender({ url: config.voiceHookUrl, token: config.voiceHookToken });
  return { sms, email, voice };
}

export function createVerification(deps: { config: Config; db: Database; clock: Clock; vault: Vault; logger: Logger; bus: EventBus; senders?: OtpSenders; dispatchOnRequest?: boolean; biometricProvider?: BiometricProvider }): Verification {
  const senders = deps.senders ?? sendersFromConfig(deps.config, deps.logger);
  const dispatcher = createOtpDispatcher({ db: deps.db, clock: deps.clock, vault: deps.vault, logger: deps.logger, senders });
  const registry = new MethodRegistry();
  for (const provider of otpMethodProviders(dispatcher)) registry.register(provider);
  for (const provider of questionMethodProviders(DEFAULT_GENERATORS)) registry.register(provider);
  registry.register(documentMethodProvider());
  const methodDeps = { db: deps.db, clock: deps.clock, vault: deps.vault, logger: deps.logger, bus: deps.bus, registry };
  const methods = { questions: createQuestionMethods({ ...methodDeps, generators: DEFAULT_GENERATORS }), document: createDocumentMethod(methodDeps) };
  const contactSignals = createContactSignals({ vault: deps.vault, mx: new MxChecker({ servers: deps.config.dnsServers }) });
  // The reference engine unless a vendor engine is given (docs/verification.md, "Biometrics").
  const biometrics = createBiometricService({ vault: deps.vault, provider: deps.biometricProvider ?? new ReferenceBiometricProvider(), registry });
  for (const provider of biometricMethodProviders()) registry.register(provider);
  const risk = createRiskEngine({ vault: deps.vault, contactSignals });
  const service = createVerificationService({ db: deps.db, clock: deps.clock, vault: deps.vault, logger: deps.logger, bus: deps.bus, dispatcher, registry, ...(deps.dispatchOnRequest === undefined ? {} : { dispatchOnRequest: deps.dispatchOnRequest }) });
  let poller: { stop(): Promise<void> } | undefined;
  return {
    service,
    dispatcher,
    registry,
    methods,
    contactSignals,
    risk,
    biometrics,
    start(pollIntervalMs) {
      if (pollIntervalMs > 0 && poller === undefined) poller = startOtpDispatcher(dispatcher, { pollIntervalMs, logger: deps.logger });
    },
    async close() {
      await poller?.stop();
      await Promise.all([senders.sms?.close(), senders.email?.close(), senders.voice?.close()].map((p) => p?.catch(() => undefined)));
    },
  };
}
