/**
 * @module
 * @hyperdecoders/core
 */

export {};
