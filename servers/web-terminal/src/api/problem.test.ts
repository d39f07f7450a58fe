import { describe, expect, it } from "vitest";
import { ApiError, describeError, fieldErrors, parseProblem } from "./problem";

describe("problem+json", () => {
  it("maps pydantic locations to field names", () => {
    const problem = parseProblem(422, {
      status: 422,
      code: "validation_error",
      detail: "the request is not valid",
      errors: [
        { loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error" },
        { loc: ["body", "stop_loss", "stop_price"], msg: "Value error, must be positive", type: "value_error" },
      ],
    });
    expect(fieldErrors(problem)).toEqual({ email: "value is not a valid email address", "stop_loss.stop_price": "must be positive" });
    expect(describeError(new ApiError(problem))).toBe("email: value is not a valid email address; stop_loss.stop_price: must be positive");
  });

  it("finds the field a domain error's detail names", () => {
    const problem = parseProblem(422, { status: 422, code: "invalid_lot_size", detail: "qty 1.5 is not a multiple of 1" });
    expect(fieldErrors(problem)).toEqual({ qty: "qty 1.5 is not a multiple of 1" });
    expect(fieldErrors(parseProblem(422, { code: "insufficient_funds", detail: "not enough cash" }))).toEqual({});
  });

  it("falls back to the status when the body is not a problem", () => {
    expect(parseProblem(502, "<html>", "Bad Gateway")).toEqual({ status: 502, detail: "Bad Gateway", code: "http_error" });
  });
});
