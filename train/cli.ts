/**
 * `deno task train`: the training entry point. The training loop is not built yet (issue 7); this says so honestly.
 * @module
 */
if (import.meta.main) {
  console.log(
    [
      "hyperdecoders: the training loop is not built yet.",
      "What works today: the WebGPU engine (`deno task test`), the tokenizer (`deno task tokenize`),",
      "dataset preparation (`deno task data`) and the benchmark (`deno task bench`).",
      "`deno task train` will train the embedded demo (a tiny T5 hyperdecoder) once the trainer lands.",
    ].join("\n"),
  );
}
