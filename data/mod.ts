/**
 * @module
 * @hyperdecoders/data
 */

export {};
