/**
 * What a provider module exports: one descriptor. Everything the rest of the service knows of a provider is
 * derived from the list of descriptors in `registry.ts`: the `OtpProvider` enum and the `RequestOtpInput` members,
 * the settings read from the environment, the adapters, the docs' tables (mapping, sandbox, settings), the sandbox
 * and the keys the logs redact.
 */
import type { ClassType } from "type-graphql";
import type { z } from "zod";
import type { ProviderAdapter } from "../otp/ports.js";
import { ProviderBinding } from "./binding.js";
import type { FakeProvider } from "../sandbox/fake-server.js";
import type { UpstreamClient } from "./http-client.js";
import type { DocumentedResponse } from "./outcomes.js";

/** An input class's fields as a plain object type: what `parse` takes (GraphQL gives plain objects). */
export type Fields<InputClass> = { [Key in keyof InputClass]: InputClass[Key] };

/** One environment variable of a provider: the settings field it fills. */
export interface SettingVariable<Field extends string = string> {
  field: Field;
  /** Reads the raw value (see `src/env.ts`); undefined when unset. */
  schema: z.ZodType;
  /** A credential: its settings field is redacted in logs wherever it appears. */
  secret?: true;
  /** Has a default, so it is not needed for the provider to count as configured. */
  optional?: true;
  /** What it holds, for docs/settings.md (its default is read from `schema`). */
  description: string;
}

/**
 * A provider's environment variables by name, each filling one field of its settings. The provider is configured
 * when all of its required variables are set; some but not all is an error at start.
 */
export type ProviderSettingsSchema<Settings> = Readonly<
  Record<string, SettingVariable<keyof Settings & string>>
>;

/** An input the sandbox answers with one documented response, and how the README's sandbox table says it. */
export interface MagicInput<Input> {
  input: Input;
  /** The input in words, e.g. "any valid GSTIN, e.g. `27AAPFU0939F1ZV`, with any other username". */
  description: string;
  /** The field the answer blames, when the documented response does not name one itself (for the table). */
  field?: string;
  /** Said after the answer, e.g. "no `devOtp`: the document returns no OTP". */
  note?: string;
}

/** A row of the README's sandbox table that no documented response stands for: a local refusal, a variant. */
interface SandboxNote {
  /** The input in words. */
  input: string;
  /** What it is answered, in words. */
  answer: string;
}

/** A loopback fake of the provider with its documented behaviour only, reached by magic inputs. */
export interface ProviderSandbox<Settings, Input = unknown> {
  fake: FakeProvider;
  /** Settings that point at the fake running at `baseUrl`, with the credentials it expects. */
  settings(baseUrl: string): Settings;
  /** For each documented response (by its `code`), an input the fake answers with it. */
  magic: Readonly<Record<string, MagicInput<Input>>>;
  /** Documented responses no input can reach in the sandbox (by `code`), each with why. */
  unreachable?: Readonly<Record<string, string>>;
  /** More rows for the README's sandbox table, after the documented responses'. */
  notes?: readonly SandboxNote[];
}

export interface ProviderDescriptor<
  Settings = unknown,
  Input = unknown,
  Request = unknown,
  Id extends string = string,
> {
  /** The `OtpProvider` value, e.g. `GST`. */
  readonly id: Id;
  /** The `OtpProvider` value's description. */
  readonly description: string;
  /** The `RequestOtpInput` member that selects this provider, and its GraphQL input class. */
  readonly input: { member: string; type: ClassType; description: string };
  /** Its environment variables, by name. */
  readonly settings: Readonly<Record<string, SettingVariable>>;
  /** Why settings whose variables are all set still cannot work together (e.g. two ways to log in), if so. */
  checkSettings?(settings: Settings): string[];
  /** Its id and member, bound into the helpers its adapter and sandbox answer with. */
  readonly binding: ProviderBinding<Id>;
  /** The adapter, with a client of its own (so a breaker or an in-flight cap never spans two providers). */
  createAdapter(settings: Settings, http: UpstreamClient): ProviderAdapter<Input, Request>;
  /** Every response the provider's document describes: the adapter maps by it, the docs show it. */
  readonly responses: readonly DocumentedResponse[];
  /** Where `providerCode` comes from for every row, when it is not the row's code (for the docs). */
  readonly providerCodeFrom?: string;
  /**
   * Field names of its input, wire request and replies that hold secrets or personal data: never logged (besides
   * its secret settings' fields and the service's own, `src/log.ts`).
   */
  readonly sensitiveFields: readonly string[];
  /** Field names that are secret only in what the provider sends back (redacted from logged reply bodies). */
  readonly sensitiveReplyFields?: readonly string[];
  readonly sandbox: ProviderSandbox<Settings, Input>;
}

/**
 * What a provider's `index.ts` writes: its descriptor, with the adapter and the sandbox made from the provider's
 * binding (so its id and member are written there only).
 */
export type ProviderDefinition<Settings, Input, Request, Id extends string> = Omit<
  ProviderDescriptor<Settings, Input, Request, Id>,
  "binding" | "createAdapter" | "sandbox"
> & {
  settings: ProviderSettingsSchema<Settings>;
  createAdapter(
    provider: ProviderBinding<NoInfer<Id>>,
    settings: Settings,
    http: UpstreamClient,
  ): ProviderAdapter<Input, Request>;
  sandbox(provider: ProviderBinding<NoInfer<Id>>): ProviderSandbox<Settings, Input>;
};

/** A provider descriptor, with its types checked against each other (its variables fill its settings). */
export function defineProvider<Settings, Input, Request, const Id extends string>(
  definition: ProviderDefinition<Settings, Input, Request, Id>,
): ProviderDescriptor<Settings, Input, Request, Id> {
  const binding = new ProviderBinding(definition.id, definition.input.member);
  return {
    ...definition,
    binding,
    createAdapter: (settings, http) => definition.createAdapter(binding, settings, http),
    sandbox: definition.sandbox(binding),
  };
}
