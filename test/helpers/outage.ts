import { expect } from "vitest";

/** One request's answer during a state outage: to which number, when, and the result member or error code. */
export interface Answer {
  phone: string;
  at: number;
  /** The RequestOtpResult member, or the error code. */
  result: string;
}

/**
 * No OTP went out while the limits could not be checked: what reached the provider (`sent`, the upstream's
 * request bodies) is exactly what was answered `OtpSent`, number by number, and no refused number reached it.
 */
export function expectSentAsAnswered(sent: readonly { json: unknown }[], answers: readonly Answer[]): void {
  const bodies = sent.map((request) => JSON.stringify(request.json));
  const answeredSent = answers.filter((answer) => answer.result === "OtpSent");
  expect(bodies).toHaveLength(answeredSent.length);
  const reached = (answer: Answer) => bodies.some((body) => body.includes(answer.phone.slice(3)));
  expect(answeredSent.every(reached)).toBe(true);
  expect(answers.filter((answer) => answer.result !== "OtpSent").some(reached)).toBe(false);
}
