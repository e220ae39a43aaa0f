/**
 * @module
 * @hyperdecoders/kernels
 */

export {};
