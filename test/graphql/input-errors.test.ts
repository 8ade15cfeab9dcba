import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorFormatter } from "../../src/graphql/format-error.js";
import { withoutInputValues, withoutSchemaNames } from "../../src/graphql/input-errors.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { post } from "../helpers/client.js";

const PASSWORD = 'hunter2; at "input.itr.pan"; Exactly one';
const AADHAAR = "234567890124";
const MUTATION = "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename } }";
const dmt = {
  customerMobileNumber: "9876543210",
  otpType: "CUSTOMER_REGISTRATION",
  username: "u",
  ovdType: "Aadhaar",
};

describe("input errors never quote the input's values", () => {
  let subgraph: TestApp;
  beforeAll(async () => {
    subgraph = await startTestApp();
  });
  afterAll(() => subgraph.close());

  it.each([
    [
      "two members in variables (BAD_USER_INPUT)",
      {
        query: MUTATION,
        variables: {
          input: { itr: { pan: "ABCPE1234F", password: PASSWORD }, dmt: { ...dmt, ovdData: AADHAAR } },
        },
      },
      'Variable "$input" got invalid value; Exactly one key must be specified for OneOf type "RequestOtpInput".',
    ],
    [
      "an Aadhaar number sent as a number",
      { query: MUTATION, variables: { input: { dmt: { ...dmt, ovdData: Number(AADHAAR) } } } },
      'Variable "$input" got invalid value at "input.dmt.ovdData"; String cannot represent a non string value.',
    ],
    [
      "a password in place of an enum value",
      { query: MUTATION, variables: { input: { dmt: { ...dmt, otpType: PASSWORD, ovdData: AADHAAR } } } },
      'Variable "$input" got invalid value at "input.dmt.otpType"; Value does not exist in "DmtOtpType" enum.',
    ],
    [
      "an Aadhaar number written as a number in the document (GRAPHQL_VALIDATION_FAILED)",
      {
        query: `mutation { requestOtp(input: { dmt: { customerMobileNumber: "9876543210", otpType: CUSTOMER_REGISTRATION, username: "u", ovdType: "Aadhaar", ovdData: ${AADHAAR} } }) { __typename } }`,
      },
      "String cannot represent a non string value.",
    ],
  ])("%s", async (_name, body, message) => {
    const response = await post(subgraph.url, body);
    expect(response.status).toBe(200);
    expect(response.body.errors?.map((error) => [error.message, error.extensions?.code])).toEqual(
      [[message, "BAD_USER_INPUT"].slice(0, 2) as [string, string]].map(([m]) => [
        m,
        expect.stringMatching(/^(BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED)$/) as unknown,
      ]),
    );
    expect(response.body.errors?.[0]?.extensions).not.toHaveProperty("stacktrace");
    const text = JSON.stringify(response.body);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain(AADHAAR);
  });
});

describe("withoutInputValues", () => {
  it("keeps the variable, the path and a known reason, whatever the value holds", () => {
    expect(
      withoutInputValues(
        `Variable "$input" got invalid value { a: "x; y at \\"input.secret\\"; " } at "input.dmt.ovdData"; String cannot represent a non string value: { a: "x; y" }`,
      ),
    ).toBe(
      'Variable "$input" got invalid value at "input.dmt.ovdData"; String cannot represent a non string value.',
    );
  });

  it("falls back to a reason with nothing quoted when it does not know the reason", () => {
    expect(withoutInputValues('Variable "$input" got invalid value "s3cret"; s3cret is not allowed')).toBe(
      'Variable "$input" got invalid value; Invalid value.',
    );
  });

  it("leaves messages with no input value alone", () => {
    expect(withoutInputValues('Cannot query field "nope" on type "Mutation".')).toBe(
      'Cannot query field "nope" on type "Mutation".',
    );
  });
});

describe("withoutSchemaNames (production)", () => {
  it.each([
    [
      'Field "PhoneOtpInput.phone" of required type "String!" was not provided.',
      "A required field was not provided.",
    ],
    [
      'Variable "$input" got invalid value at "input.phone"; Field "phone" of required type "String!" was not provided.',
      'Variable "$input" got invalid value at "input.phone"; A required field was not provided.',
    ],
    [
      'Field "requestOtp" argument "input" of type "RequestOtpInput!" is required, but it was not provided.',
      'Field "requestOtp" has a required argument that was not provided.',
    ],
    [
      'Unknown argument "inpt" on field "Mutation.requestOtp".',
      'Unknown argument "inpt" on field "requestOtp".',
    ],
    ['Field "RequestOtpInput.phone" must be non-null.', 'Field "phone" must be non-null.'],
    ['Field "phon" is not defined by type "PhoneOtpInput".', 'Field "phon" is not defined here.'],
    [
      'OneOf Input Object "RequestOtpInput" must specify exactly one key.',
      "A OneOf input object must specify exactly one key.",
    ],
    [
      'Variable "$input" got invalid value; Exactly one key must be specified for OneOf type "RequestOtpInput".',
      'Variable "$input" got invalid value; Exactly one key must be specified for this OneOf input.',
    ],
    ['Cannot query field "nope" on type "OtpSent".', 'Cannot query field "nope" here.'],
    ['Expected type "PhoneOtpInput" to be an object.', "Expected an object."],
    [
      'Expected value of type "PhoneOtpInput!", found an invalid value.',
      "Expected value of another type, found an invalid value.",
    ],
    [
      'Expected value of type "String!", found an invalid value.',
      'Expected value of type "String!", found an invalid value.',
    ],
    [
      'Expected non-nullable type "PhoneOtpInput!" not to be null.',
      "Expected a non-nullable value not to be null.",
    ],
    ['Value does not exist in "DmtOtpType" enum.', "Value does not exist in this enum."],
    ['Value "THIRD" does not exist in "DmtOtpType" enum.', 'Value "THIRD" does not exist in this enum.'],
    [
      'Variable "$input" got invalid value at "input.dmt.otpType"; Value does not exist in "DmtOtpType" enum.',
      'Variable "$input" got invalid value at "input.dmt.otpType"; Value does not exist in this enum.',
    ],
    ['Enum "DmtOtpType" cannot represent non-string value.', "This enum cannot represent non-string value."],
    [
      'Enum "DmtOtpType" cannot represent non-enum value: "1".',
      'This enum cannot represent non-enum value: "1".',
    ],
    ['Expected type "DmtOtpType".', "Expected another type."],
    [
      'Field "challenge" of type "OtpChallenge!" must have a selection of subfields. Did you mean "challenge { ... }"?',
      'Field "challenge" must have a selection of subfields. Did you mean "challenge { ... }"?',
    ],
    [
      'Field "provider" must not have a selection since type "OtpProvider!" has no subfields.',
      'Field "provider" must not have a selection since its type has no subfields.',
    ],
    [
      'Field "id" must not have a selection since type "ID!" has no subfields.',
      'Field "id" must not have a selection since type "ID!" has no subfields.',
    ],
    [
      'Fragment "F" cannot be spread here as objects of type "OtpSent" can never be of type "RateLimited".',
      'Fragment "F" cannot be spread here as objects of this type can never be of type "RateLimited".',
    ],
    [
      'Variable "$t" of type "String" used in position expecting type "DmtOtpType!".',
      'Variable "$t" of type "String" used in position expecting another type.',
    ],
    [
      'Variable "$p" is of type "PhoneOtpInput" but must be non-nullable to be used for OneOf Input Object "RequestOtpInput".',
      'Variable "$p" is of type "PhoneOtpInput" but must be non-nullable to be used for a OneOf input object.',
    ],
    [
      'Fields "a" conflict because they return conflicting types "String" and "OtpProvider". Use different aliases on the fields to fetch both if this was intentional.',
      'Fields "a" conflict because they return conflicting types. Use different aliases on the fields to fetch both if this was intentional.',
    ],
    [
      'Fields "a" conflict because they return conflicting types "String" and "Int". Use different aliases on the fields to fetch both if this was intentional.',
      'Fields "a" conflict because they return conflicting types "String" and "Int". Use different aliases on the fields to fetch both if this was intentional.',
    ],
  ])("%s", (message, hidden) => {
    expect(withoutSchemaNames(message)).toBe(hidden);
  });
});

describe("errorFormatter", () => {
  const internal = {
    message: "Cannot return null for non-nullable field OtpChallenge.id.",
    path: ["otpChallenge", "id"],
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };

  it("says no more than that of an unexpected error in production", () => {
    expect(errorFormatter(true)(internal, new Error(internal.message))).toEqual({
      ...internal,
      message: "Internal server error",
    });
    expect(errorFormatter(false)(internal, new Error(internal.message))).toEqual(internal);
  });
});
