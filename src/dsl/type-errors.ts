/**
 * A type that no value has, carrying a sentence. The DSL puts it where an argument would be
 * wrong, so the compiler's complaint reads as the sentence instead of a wall of generics.
 *
 * @example
 * ```ts
 * // workflow('x').on(t).do(sendEmail).do(sendEmail)
 * //   Argument of type 'ActionDef<"send_email", ...>' is not assignable to parameter of type
 * //   '... & DslTypeError<"step name \"send_email\" is already used in this workflow; ...">'
 * ```
 */
export interface DslTypeError<TMessage extends string> {
  readonly '~pulseTypeError': TMessage
}

/** `true` when `T` is `any`; type tests use it to catch inference that silently degraded. */
export type IsAny<T> = 0 extends 1 & T ? true : false

/** Flattens intersections so editor hovers show one object type. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** `true` for a literal string type such as `'send_email'`, `false` for `string` itself. */
export type IsLiteralString<T extends string> = string extends T ? false : true
