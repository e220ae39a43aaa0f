/**
 * @module
 * @hyperdecoders/models
 */

export {};
