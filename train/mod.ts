/**
 * @module
 * @hyperdecoders/train
 */

export {};
