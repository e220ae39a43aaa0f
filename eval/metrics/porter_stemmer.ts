/**
 * A port of NLTK's `nltk.stem.porter.PorterStemmer` (the rewrite NLTK has shipped unchanged since 3.2.2, checked
 * against NLTK 3.8), with its three modes. `rouge_score` constructs `PorterStemmer()`, i.e. the default
 * `NLTK_EXTENSIONS` mode; the npm stemmers implement the original algorithm or Martin Porter's variant and disagree
 * with NLTK on words such as "dying", "skies", "generously" or "tried".
 *
 * Words are indexed by UTF-16 unit rather than by code point, so a word with characters outside the Basic
 * Multilingual Plane may stem differently from Python; ROUGE only feeds ASCII tokens.
 *
 * @module
 */

/** NLTK's three modes: its own extensions (default), Martin Porter's published extensions, or the 1980 paper. */
export type PorterMode = "NLTK_EXTENSIONS" | "MARTIN_EXTENSIONS" | "ORIGINAL_ALGORITHM";

const MODES: readonly PorterMode[] = ["NLTK_EXTENSIONS", "MARTIN_EXTENSIONS", "ORIGINAL_ALGORITHM"];

const IRREGULAR_FORMS: Record<string, string[]> = {
  sky: ["sky", "skies"],
  die: ["dying"],
  lie: ["lying"],
  tie: ["tying"],
  news: ["news"],
  inning: ["innings", "inning"],
  outing: ["outings", "outing"],
  canning: ["cannings", "canning"],
  howe: ["howe"],
  proceed: ["proceed"],
  exceed: ["exceed"],
  succeed: ["succeed"],
};

/** [suffix, replacement, condition on the stem left after removing the suffix (null = always)]. */
type Rule = readonly [string, string, ((stem: string) => boolean) | null];

/** NLTK's Porter stemmer; `stem()` is deterministic and stateless, so one instance can be shared. */
export class PorterStemmer {
  /** The variant of the algorithm this instance applies. */
  readonly mode: PorterMode;
  readonly #pool = new Map<string, string>();

  /**
   * Creates a stemmer for one mode.
   * @param mode Which variant to apply; NLTK's default (and rouge_score's) is "NLTK_EXTENSIONS".
   */
  constructor(mode: PorterMode = "NLTK_EXTENSIONS") {
    if (!MODES.includes(mode)) {
      throw new Error(`PorterStemmer: unknown mode ${JSON.stringify(mode)}; use one of ${MODES.join(", ")}`);
    }
    this.mode = mode;
    if (mode === "NLTK_EXTENSIONS") {
      for (const [key, forms] of Object.entries(IRREGULAR_FORMS)) for (const f of forms) this.#pool.set(f, key);
    }
  }

  #isConsonant(word: string, i: number): boolean {
    const ch = word[i];
    if (ch === "a" || ch === "e" || ch === "i" || ch === "o" || ch === "u") return false;
    if (ch === "y") return i === 0 ? true : !this.#isConsonant(word, i - 1);
    return true;
  }

  /** m in [C](VC){m}[V]: the number of vowel→consonant transitions. */
  #measure(stem: string): number {
    let m = 0;
    let prevVowel = false;
    for (let i = 0; i < stem.length; i++) {
      const consonant = this.#isConsonant(stem, i);
      if (consonant && prevVowel) m++;
      prevVowel = !consonant;
    }
    return m;
  }

  #hasPositiveMeasure = (stem: string): boolean => this.#measure(stem) > 0;

  #containsVowel(stem: string): boolean {
    for (let i = 0; i < stem.length; i++) if (!this.#isConsonant(stem, i)) return true;
    return false;
  }

  #endsDoubleConsonant(word: string): boolean {
    const n = word.length;
    return n >= 2 && word[n - 1] === word[n - 2] && this.#isConsonant(word, n - 1);
  }

  /** Condition *o: ends consonant-vowel-consonant, the last not w, x or y (NLTK also accepts a 2-letter "vc"). */
  #endsCvc(word: string): boolean {
    const n = word.length;
    return (
      (n >= 3 &&
        this.#isConsonant(word, n - 3) &&
        !this.#isConsonant(word, n - 2) &&
        this.#isConsonant(word, n - 1) &&
        word[n - 1] !== "w" && word[n - 1] !== "x" && word[n - 1] !== "y") ||
      (this.mode === "NLTK_EXTENSIONS" && n === 2 && !this.#isConsonant(word, 0) && this.#isConsonant(word, 1))
    );
  }

  /** The first rule whose suffix matches decides: it applies if its condition holds, otherwise the word stays. */
  #applyRuleList(word: string, rules: readonly Rule[]): string {
    for (const [suffix, replacement, condition] of rules) {
      if (suffix === "*d" && this.#endsDoubleConsonant(word)) {
        const stem = word.slice(0, -2);
        return condition === null || condition(stem) ? stem + replacement : word;
      }
      if (word.endsWith(suffix)) {
        const stem = suffix === "" ? word : word.slice(0, -suffix.length);
        return condition === null || condition(stem) ? stem + replacement : word;
      }
    }
    return word;
  }

  #step1a(word: string): string {
    if (this.mode === "NLTK_EXTENSIONS" && word.endsWith("ies") && word.length === 4) {
      return word.slice(0, -3) + "ie";
    }
    return this.#applyRuleList(word, [
      ["sses", "ss", null],
      ["ies", "i", null],
      ["ss", "ss", null],
      ["s", "", null],
    ]);
  }

  #step1b(word: string): string {
    if (this.mode === "NLTK_EXTENSIONS" && word.endsWith("ied")) {
      return word.length === 4 ? word.slice(0, -3) + "ie" : word.slice(0, -3) + "i";
    }
    if (word.endsWith("eed")) {
      const stem = word.slice(0, -3);
      return this.#measure(stem) > 0 ? stem + "ee" : word;
    }
    let intermediate: string | null = null;
    for (const suffix of ["ed", "ing"]) {
      if (word.endsWith(suffix)) {
        const candidate = word.slice(0, -suffix.length);
        if (this.#containsVowel(candidate)) {
          intermediate = candidate;
          break;
        }
      }
    }
    if (intermediate === null) return word;
    const last = intermediate[intermediate.length - 1];
    return this.#applyRuleList(intermediate, [
      ["at", "ate", null],
      ["bl", "ble", null],
      ["iz", "ize", null],
      ["*d", last, () => last !== "l" && last !== "s" && last !== "z"],
      ["", "e", (stem) => this.#measure(stem) === 1 && this.#endsCvc(stem)],
    ]);
  }

  #step1c(word: string): string {
    const condition = this.mode === "NLTK_EXTENSIONS"
      // y → i only after a consonant that is not the whole stem: happy → happi, enjoy and spy → spi stay apart.
      ? (stem: string) => stem.length > 1 && this.#isConsonant(stem, stem.length - 1)
      : (stem: string) => this.#containsVowel(stem);
    return this.#applyRuleList(word, [["y", "i", condition]]);
  }

  #step2(word: string): string {
    const positive = this.#hasPositiveMeasure;
    if (this.mode === "NLTK_EXTENSIONS" && word.endsWith("alli") && positive(word.slice(0, -4))) {
      return this.#step2(word.slice(0, -4) + "al");
    }
    const rules: Rule[] = [
      ["ational", "ate", positive],
      ["tional", "tion", positive],
      ["enci", "ence", positive],
      ["anci", "ance", positive],
      ["izer", "ize", positive],
      this.mode === "ORIGINAL_ALGORITHM" ? ["abli", "able", positive] : ["bli", "ble", positive],
      ["alli", "al", positive],
      ["entli", "ent", positive],
      ["eli", "e", positive],
      ["ousli", "ous", positive],
      ["ization", "ize", positive],
      ["ation", "ate", positive],
      ["ator", "ate", positive],
      ["alism", "al", positive],
      ["iveness", "ive", positive],
      ["fulness", "ful", positive],
      ["ousness", "ous", positive],
      ["aliti", "al", positive],
      ["iviti", "ive", positive],
      ["biliti", "ble", positive],
    ];
    if (this.mode === "NLTK_EXTENSIONS") {
      rules.push(["fulli", "ful", positive]);
      // NLTK tests the measure of the word minus "ogi", i.e. the stem plus its "l".
      rules.push(["logi", "log", () => positive(word.slice(0, -3))]);
    }
    if (this.mode === "MARTIN_EXTENSIONS") rules.push(["logi", "log", positive]);
    return this.#applyRuleList(word, rules);
  }

  #step3(word: string): string {
    const positive = this.#hasPositiveMeasure;
    return this.#applyRuleList(word, [
      ["icate", "ic", positive],
      ["ative", "", positive],
      ["alize", "al", positive],
      ["iciti", "ic", positive],
      ["ical", "ic", positive],
      ["ful", "", positive],
      ["ness", "", positive],
    ]);
  }

  #step4(word: string): string {
    const gt1 = (stem: string) => this.#measure(stem) > 1;
    return this.#applyRuleList(word, [
      ["al", "", gt1],
      ["ance", "", gt1],
      ["ence", "", gt1],
      ["er", "", gt1],
      ["ic", "", gt1],
      ["able", "", gt1],
      ["ible", "", gt1],
      ["ant", "", gt1],
      ["ement", "", gt1],
      ["ment", "", gt1],
      ["ent", "", gt1],
      ["ion", "", (stem) => this.#measure(stem) > 1 && (stem.endsWith("s") || stem.endsWith("t"))],
      ["ou", "", gt1],
      ["ism", "", gt1],
      ["ate", "", gt1],
      ["iti", "", gt1],
      ["ous", "", gt1],
      ["ive", "", gt1],
      ["ize", "", gt1],
    ]);
  }

  #step5a(word: string): string {
    if (word.endsWith("e")) {
      const stem = word.slice(0, -1);
      const m = this.#measure(stem);
      if (m > 1) return stem;
      if (m === 1 && !this.#endsCvc(stem)) return stem;
    }
    return word;
  }

  #step5b(word: string): string {
    return this.#applyRuleList(word, [["ll", "l", () => this.#measure(word.slice(0, -1)) > 1]]);
  }

  /**
   * The stem of `word`, lower-cased first unless `toLowercase` is false (NLTK's `stem(word, to_lowercase=True)`).
   * In the extension modes, words of at most 2 characters are returned unchanged.
   */
  stem(word: string, toLowercase = true): string {
    let stem = toLowercase ? word.toLowerCase() : word;
    // NLTK looks up and measures the word as given, not the lower-cased copy.
    if (this.mode === "NLTK_EXTENSIONS" && this.#pool.has(word)) return this.#pool.get(word)!;
    if (this.mode !== "ORIGINAL_ALGORITHM" && [...word].length <= 2) return stem;
    stem = this.#step1a(stem);
    stem = this.#step1b(stem);
    stem = this.#step1c(stem);
    stem = this.#step2(stem);
    stem = this.#step3(stem);
    stem = this.#step4(stem);
    stem = this.#step5a(stem);
    stem = this.#step5b(stem);
    return stem;
  }
}
