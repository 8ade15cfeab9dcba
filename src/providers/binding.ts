/**
 * A provider's id and `RequestOtpInput` member, bound once into the helpers its modules answer with: its field
 * paths, its field-error collector and its outcomes. `defineProvider` makes it from the descriptor and hands it to
 * the provider's adapter and sandbox, so no module of a provider's folder but its descriptor writes either.
 */
import { FieldErrors } from "../otp/field-errors.js";
import type { OtpFailure, ProviderId } from "../otp/model.js";
import type { SendFailure } from "../otp/ports.js";
import type { UpstreamFault, UpstreamReply } from "./http-client.js";
import {
  authFailure,
  failureFromRow,
  faultOutcome,
  undocumentedOutcome,
  unexpectedReply,
  type DocumentedResponse,
  type RowOverrides,
} from "./outcomes.js";

export class ProviderBinding<Id extends ProviderId = ProviderId> {
  /** The `OtpProvider` value, e.g. `PAYTM`. */
  readonly id: Id;
  /** The `RequestOtpInput` member, e.g. `paytm`: the first part of its field paths. */
  readonly member: string;

  constructor(id: Id, member: string) {
    this.id = id;
    this.member = member;
  }

  /** An input field's path in `fieldErrors`: `paytm.phone`. */
  field(name: string): string {
    return `${this.member}.${name}`;
  }

  /** A collector of this provider's failing input fields (paths under its member). */
  fieldErrors(): FieldErrors {
    return new FieldErrors(this.member);
  }

  /** The outcome a documented failure row stands for (its `field` is under this provider's member). */
  failure(row: DocumentedResponse, overrides?: RowOverrides): OtpFailure {
    return failureFromRow(this, row, overrides);
  }

  /** The provider could not be heard. */
  fault(fault: UpstreamFault): SendFailure {
    return faultOutcome(this.id, fault);
  }

  /** A reply no document describes: an outage for a 5xx, else unexpected. */
  undocumented(status: number): OtpFailure {
    return undocumentedOutcome(this.id, status);
  }

  /** A reply that does not say an OTP went out and matches no documented failure. */
  unexpectedReply(reply: UpstreamReply, text: unknown): OtpFailure {
    return unexpectedReply(reply, this.id, text);
  }

  /** The provider refused this service's credentials. */
  authFailure(status: number): OtpFailure {
    return authFailure(this.id, status);
  }
}
