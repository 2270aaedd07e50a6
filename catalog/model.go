package catalog

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// Model values that are not a public model name.
const (
	// ModelFineTuned stands for a model that a user or an organisation
	// trained further, such as "ft:gpt-4o-mini:acme::x": its name names its
	// owner, so only the fact that it is a fine-tune is sent.
	ModelFineTuned = "fine-tuned"
	// ModelOther stands for any name that is not recognised as a public
	// model name: a private deployment, a host, a path, a typing error.
	ModelOther = "other"
)

// ModelRuleDescription describes the rule [NormalizeModel] applies, for the
// event catalog that `elmo telemetry events` prints and the telemetry page.
const ModelRuleDescription = "Model names are sent only as public model names: " +
	"a known family of a model vendor (such as gpt, claude, gemini, llama, mistral or qwen) " +
	"followed only by versions, sizes, dates and common model words, in lower case, " +
	"with router prefixes such as \"anthropic/\" and local tags such as \":8b-instruct-q4_K_M\" removed. " +
	"Fine-tunes are sent as \"fine-tuned\" and every other name, such as a host, a path or " +
	"a private deployment, as \"other\"."

// maxModelLen is the longest public model name NormalizeModel returns.
const maxModelLen = 64

// maxModelInput is the longest name NormalizeModel reads; longer names are
// not public model names, and reading them would only cost time.
const maxModelInput = 256

// ModelFamily is one vendor's public model-name families: the first word of
// the names of its models, such as "gpt" in "gpt-4o-mini" or "llama" in
// "llama3.1".
type ModelFamily struct {
	// Vendor is the organisation that publishes the models, such as
	// "OpenAI".
	Vendor string
	// Names are the family words, in lower case, such as "gpt" and "o3".
	Names []string
}

// modelFamilies lists the families NormalizeModel recognises. A family word
// may be followed directly by a version ("llama3.1", "qwen2.5", "phi4").
var modelFamilies = []ModelFamily{
	{Vendor: "OpenAI", Names: []string{"gpt", "chatgpt", "o1", "o3", "o4", "codex", "text", "davinci", "babbage", "dall", "whisper", "tts", "omni"}},
	{Vendor: "Anthropic", Names: []string{"claude"}},
	{Vendor: "Google", Names: []string{"gemini", "gemma", "codegemma", "paligemma", "medgemma", "shieldgemma", "learnlm", "imagen", "veo"}},
	{Vendor: "Mistral AI", Names: []string{"mistral", "mixtral", "codestral", "ministral", "pixtral", "magistral", "devstral", "mathstral", "voxtral", "open"}},
	{Vendor: "Meta", Names: []string{"llama", "codellama", "meta"}},
	{Vendor: "DeepSeek", Names: []string{"deepseek", "r1"}},
	{Vendor: "xAI", Names: []string{"grok"}},
	{Vendor: "Qwen (Alibaba)", Names: []string{"qwen", "qwq", "qvq", "codeqwen"}},
	{Vendor: "Perplexity", Names: []string{"sonar", "pplx"}},
	{Vendor: "Cohere", Names: []string{"command", "aya", "embed", "rerank", "c4ai"}},
	{Vendor: "Microsoft", Names: []string{"phi", "wizardlm", "orca"}},
	{Vendor: "Amazon", Names: []string{"nova", "titan"}},
	{Vendor: "IBM", Names: []string{"granite"}},
	{Vendor: "NVIDIA", Names: []string{"nemotron"}},
	{Vendor: "AI21 Labs", Names: []string{"jamba"}},
	{Vendor: "Moonshot AI", Names: []string{"kimi", "moonshot"}},
	{Vendor: "Zhipu AI", Names: []string{"glm", "chatglm", "codegeex"}},
	{Vendor: "MiniMax", Names: []string{"minimax"}},
	{Vendor: "01.AI", Names: []string{"yi"}},
	{Vendor: "TII", Names: []string{"falcon"}},
	{Vendor: "BigCode", Names: []string{"starcoder"}},
	{Vendor: "Ai2", Names: []string{"olmo"}},
	{Vendor: "LLaVA", Names: []string{"llava", "bakllava"}},
	{Vendor: "Hugging Face", Names: []string{"smollm", "zephyr"}},
	{Vendor: "Nous Research", Names: []string{"hermes"}},
	{Vendor: "Nomic", Names: []string{"nomic"}},
	{Vendor: "Mixedbread", Names: []string{"mxbai"}},
	{Vendor: "Snowflake", Names: []string{"snowflake"}},
	{Vendor: "BAAI", Names: []string{"bge"}},
	{Vendor: "Liquid AI", Names: []string{"lfm"}},
}

// modelWords are the words, other than versions, that public model names
// carry after their family: sizes, variants, stages, modalities, quantisations.
// None of them can name a person, a customer or a host.
var modelWords = []string{
	// Sizes and tiers.
	"mini", "nano", "micro", "tiny", "small", "medium", "large", "xl", "xxl", "base",
	"lite", "light", "plus", "pro", "max", "ultra", "air", "premier", "express", "edge",
	// Variants and names within a family.
	"turbo", "instant", "flash", "sonnet", "opus", "haiku", "nemo", "scout", "maverick",
	"expanse", "saba", "canvas", "reel", "sonic", "dense",
	"sonar", "nemotron", "hermes", "llama", "qwen", "mistral", "mixtral", "codestral",
	"gemma", "deepseek", "aya", "arctic", "groq", "ada", "davinci", "babbage", "curie",
	// Tasks and modalities.
	"instruct", "instruction", "it", "chat", "coder", "code", "codex", "vision", "vl",
	"audio", "realtime", "transcribe", "tts", "hd", "image", "omni", "multimodal",
	"embed", "embedding", "embeddings", "rerank", "text", "english", "multilingual",
	"math", "prover", "ocr", "moderation", "guard", "search", "deep", "research",
	"reasoner", "reasoning", "thinking", "think", "online", "tool", "use", "computer",
	"live", "native", "generation", "speech", "long", "context", "moe", "oss", "distill",
	"versatile", "specdec", "uncensored",
	// Stages.
	"preview", "latest", "exp", "experimental", "beta", "alpha", "nightly", "next",
	"stable", "fast", "high", "low",
	// Formats and quantisations.
	"gguf", "ggml", "awq", "gptq", "mlx", "hf", "fp8", "fp16", "bf16", "int4", "int8",
	"4bit", "8bit",
}

// modelFineTuneMarkers are the words that mark a fine-tuned model anywhere
// in a name: OpenAI's "ft:" prefix, Azure's ".ft-" suffix, Google's
// "tunedModels/" and the words people give their own tunes.
var modelFineTuneMarkers = []string{
	"ft", "finetune", "finetuned", "tuned", "tunedmodels", "custom", "lora", "qlora", "merged",
}

// modelRouterPrefixes are the path segments before a model name that name a
// vendor, an organisation that publishes models, or a router, as in
// "anthropic/claude-3.5-sonnet" (OpenRouter), "models/gemini-1.5-pro"
// (Google) or "accounts/fireworks/models/llama-v3p1-8b-instruct".
var modelRouterPrefixes = []string{
	// Vendors and their organisations on model hubs.
	"anthropic", "openai", "google", "meta", "meta-llama", "mistral", "mistralai",
	"deepseek", "deepseek-ai", "x-ai", "xai", "qwen", "cohere", "coherelabs",
	"cohereforai", "perplexity", "perplexity-ai", "microsoft", "nvidia", "amazon",
	"ibm", "ibm-granite", "ai21", "ai21labs", "moonshotai", "thudm", "zai-org",
	"minimax", "minimaxai", "01-ai", "tiiuae", "bigcode", "allenai", "huggingfacetb",
	"nousresearch", "nomic-ai", "mixedbread-ai", "snowflake", "baai", "liquid",
	"liquidai", "gemini",
	// Routers, gateways and local runners.
	"openrouter", "bedrock", "vertex_ai", "vertex_ai_beta", "azure", "azure_ai",
	"groq", "together_ai", "togethercomputer", "fireworks_ai", "fireworks", "accounts",
	"models", "ollama", "ollama_chat", "library", "huggingface", "deepinfra",
	"cerebras", "sambanova", "mlx-community", "unsloth",
}

// modelDotPrefixes are the prefixes of Amazon Bedrock model IDs, a region
// and a vendor, as in "us.anthropic.claude-3-5-sonnet-20241022-v2:0".
var modelDotPrefixes = []string{
	"us", "eu", "apac", "us-gov", "global",
	"anthropic", "meta", "amazon", "mistral", "cohere", "ai21", "deepseek",
	"qwen", "openai", "writer",
}

// modelSets holds the lists above as sets, built on first use so that
// programs that never see a model name pay nothing at start-up.
type modelSets struct {
	families, words, markers, routers, dots map[string]struct{}
	// markerStart holds the first bytes of the fine-tune markers, so that
	// most words are passed over without a look-up.
	markerStart [256]bool
}

var loadModelSets = sync.OnceValue(func() *modelSets {
	set := func(lists ...[]string) map[string]struct{} {
		m := make(map[string]struct{})
		for _, l := range lists {
			for _, w := range l {
				m[w] = struct{}{}
			}
		}
		return m
	}
	var fam []string
	for _, f := range modelFamilies {
		fam = append(fam, f.Names...)
	}
	sets := &modelSets{
		families: set(fam),
		words:    set(modelWords),
		markers:  set(modelFineTuneMarkers),
		routers:  set(modelRouterPrefixes),
		dots:     set(modelDotPrefixes),
	}
	for _, m := range modelFineTuneMarkers {
		sets.markerStart[m[0]] = true
	}
	return sets
})

// modelHas reports whether w is in the set m.
func modelHas(m map[string]struct{}, w string) bool {
	_, ok := m[w]
	return ok
}

// ModelFamilies returns the public model-name families NormalizeModel
// recognises, by vendor, for documentation. It returns a copy, sorted by
// vendor, with each vendor's names sorted.
func ModelFamilies() []ModelFamily {
	out := make([]ModelFamily, len(modelFamilies))
	for i, f := range modelFamilies {
		out[i] = ModelFamily{Vendor: f.Vendor, Names: slices.Sorted(slices.Values(f.Names))}
	}
	slices.SortFunc(out, func(a, b ModelFamily) int { return cmp.Compare(a.Vendor, b.Vendor) })
	return out
}

// NormalizeModel returns the public model name that name stands for,
// [ModelFineTuned], or [ModelOther].
//
// The name is trimmed and put in lower case. Router and hub prefixes that
// name a known vendor or router ("anthropic/", "meta-llama/", "models/") and
// Amazon Bedrock region and vendor prefixes ("us.anthropic.") are removed,
// and so is a local tag or version, everything from the first ":" or "@"
// ("llama3.1:8b" is "llama3.1"). A name that carries a fine-tune marker
// ("ft:gpt-4o-mini:acme::x", "llama3-lora") is [ModelFineTuned]. What
// remains is split into words on "-" and "_": the first must be a known
// family, optionally followed by a version ("qwen2.5"), and each later word
// a single letter, a version, size or date ("4o", "8x7b", "v0.3"; numbers of
// at most 4 digits, or 8 for a date such as "20241022") or a word of the
// model-name vocabulary ("mini", "instruct", "sonnet"). The result is those
// words joined by "-", at most 64 bytes; anything else, such as an unknown
// prefix, a path, a host, an address or a word that could name someone, is
// [ModelOther].
//
// NormalizeModel is idempotent: normalising its result gives the same result.
func NormalizeModel(name string) string {
	s := strings.TrimSpace(name)
	if s == "" || len(s) > maxModelInput {
		return ModelOther
	}
	for i := 0; i < len(s); i++ {
		if !modelByte(s[i]) {
			return ModelOther
		}
	}
	s = strings.ToLower(s)
	sets := loadModelSets()
	if modelHasFineTuneMarker(sets, s) {
		return ModelFineTuned
	}
	// A local tag: "llama3.1:8b-instruct-q4_K_M", "qwen2.5:latest", ":free".
	// Vertex AI writes the version after "@": "claude-3-5-sonnet@20240620".
	if i := strings.IndexAny(s, ":@"); i >= 0 {
		s = s[:i]
	}
	// Router and hub prefixes.
	for range 4 {
		i := strings.IndexByte(s, '/')
		if i < 0 {
			break
		}
		if !modelHas(sets.routers, s[:i]) {
			return ModelOther
		}
		s = s[i+1:]
	}
	if strings.IndexByte(s, '/') >= 0 {
		return ModelOther
	}
	// Bedrock region and vendor prefixes.
	for range 2 {
		i := strings.IndexByte(s, '.')
		if i < 0 || !modelHas(sets.dots, s[:i]) {
			break
		}
		s = s[i+1:]
	}
	if !publicModelName(sets, s) {
		return ModelOther
	}
	if strings.IndexByte(s, '_') >= 0 {
		s = strings.ReplaceAll(s, "_", "-")
	}
	return s
}

// modelByte reports whether c may appear in a model name as given: ASCII
// letters, digits and the separators - _ . : / @.
func modelByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '_', c == '.', c == ':', c == '/', c == '@':
		return true
	}
	return false
}

// modelHasFineTuneMarker reports whether a word of s, split on every separator,
// marks a fine-tune.
func modelHasFineTuneMarker(sets *modelSets, s string) bool {
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && (modelIsLetter(s[i]) || modelIsDigit(s[i])) {
			continue
		}
		if i > start && sets.markerStart[s[start]] && modelHas(sets.markers, s[start:i]) {
			return true
		}
		start = i + 1
	}
	return false
}

// publicModelName reports whether s, without prefixes or tag, is a public
// model name: a family word and then versions and model words, separated by
// "-" or "_".
func publicModelName(sets *modelSets, s string) bool {
	if len(s) > maxModelLen {
		return false
	}
	first := true
	numbers, letters := 0, 0 // consecutive all-digit and one-letter words
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '-' && s[i] != '_' {
			continue
		}
		w := s[start:i]
		start = i + 1
		if w == "" {
			return false
		}
		if first {
			if !modelFamilyWord(sets, w) {
				return false
			}
			first = false
			continue
		}
		if !modelWord(sets, w) {
			return false
		}
		// Runs of bare numbers and single letters are how a date or a
		// quantisation is written ("2024-08-06", "q4_k_m"); longer runs
		// could spell an address ("192-168-1-10") or initials.
		numbers, letters = modelRun(numbers, modelAllDigits(w)), modelRun(letters, len(w) == 1)
		if numbers > 3 || letters > 2 {
			return false
		}
	}
	return !first
}

// modelRun returns the length of a run of words after one more word: n+1
// if the word continues the run, else 0.
func modelRun(n int, more bool) int {
	if more {
		return n + 1
	}
	return 0
}

// modelFamilyWord reports whether w is a family word, alone or followed directly
// by a version ("llama3.1", "qwen2.5vl", "gemma3n").
func modelFamilyWord(sets *modelSets, w string) bool {
	if modelHas(sets.families, w) {
		return true
	}
	// A version starts where a letter meets a digit.
	for i := 1; i < len(w); i++ {
		if modelIsDigit(w[i]) && modelIsLetter(w[i-1]) &&
			modelHas(sets.families, w[:i]) && modelVersionTail(sets, w[i:]) {
			return true
		}
	}
	return false
}

// modelWord reports whether w may follow the family word: a single letter
// ("command-r", "dall-e-3"), a version, a model word, or a model word glued to
// a version ("vl2", "r7b", "2.5vl").
func modelWord(sets *modelSets, w string) bool {
	if len(w) == 1 && modelIsLetter(w[0]) || modelVersion(w) || modelHas(sets.words, w) {
		return true
	}
	if d := strings.IndexFunc(w, func(r rune) bool { return r >= '0' && r <= '9' }); d > 0 {
		return modelHas(sets.words, w[:d]) && modelVersion(w[d:])
	}
	return modelVersionTail(sets, w)
}

// modelVersionTail reports whether w, which starts with a digit, is a version,
// possibly followed by a model word ("2.5vl", "4bit").
func modelVersionTail(sets *modelSets, w string) bool {
	if w == "" || !modelIsDigit(w[0]) {
		return false
	}
	if modelVersion(w) {
		return true
	}
	i := 0
	for i < len(w) && (modelIsDigit(w[i]) || w[i] == '.') {
		i++
	}
	return modelVersion(w[:i]) && modelHas(sets.words, w[i:])
}

// modelVersion reports whether w is a version, size, date or count: an
// optional letter, a number (see [modelNumber]) with at most one dot inside
// it, an optional "x" and number (mixtures: "8x7b"), and an optional letter
// ("8b", "128k", "4o", "v0.3", "a3b", "e4b", "r1").
func modelVersion(w string) bool {
	i := 0
	if len(w) > 1 && modelIsLetter(w[0]) && modelIsDigit(w[1]) {
		i = 1
	}
	n, ok := modelNumber(w[i:], true)
	if !ok {
		return false
	}
	i += n
	if i+1 < len(w) && w[i] == 'x' && modelIsDigit(w[i+1]) {
		n, ok = modelNumber(w[i+1:], false)
		if !ok {
			return false
		}
		i += 1 + n
	}
	if i < len(w) && modelIsLetter(w[i]) {
		i++
	}
	return i == len(w)
}

// modelNumber returns the length of the number at the start of w: at most 4
// digits or a date written as 8 ("20241022"), then, if dot, a dot and at
// most 4 more digits. Longer runs of digits are not versions but could be an
// account, a telephone or a card number.
func modelNumber(w string, dot bool) (int, bool) {
	d := modelDigits(w)
	if d == 0 || d > 4 && !(d == 8 && modelDate(w[:8])) {
		return 0, false
	}
	if dot && d+1 < len(w) && w[d] == '.' && modelIsDigit(w[d+1]) {
		f := modelDigits(w[d+1:])
		if f > 4 {
			return 0, false
		}
		return d + 1 + f, true
	}
	return d, true
}

// modelDate reports whether the 8 digits of w are a date of this or the last
// century, yyyymmdd.
func modelDate(w string) bool {
	year, month, day := w[:2], w[4:6], w[6:]
	return (year == "19" || year == "20") &&
		"01" <= month && month <= "12" && "01" <= day && day <= "31"
}

// modelDigits returns the number of digits at the start of w.
func modelDigits(w string) int {
	n := 0
	for n < len(w) && modelIsDigit(w[n]) {
		n++
	}
	return n
}

func modelAllDigits(w string) bool { return w != "" && modelDigits(w) == len(w) }

func modelIsDigit(c byte) bool { return '0' <= c && c <= '9' }

func modelIsLetter(c byte) bool { return 'a' <= c && c <= 'z' }
