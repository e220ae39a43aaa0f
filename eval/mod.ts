/**
 * @module
 * @hyperdecoders/eval
 */

export {};
