package catalog

import (
	"slices"
	"strings"
	"testing"
)

type modelCase struct {
	in, want string
}

// publicModels are real model names of each vendor, as a user types them
// into a deployment, with the public name that must reach the wire.
var publicModels = map[string][]modelCase{
	"OpenAI": {
		{"gpt-4o", "gpt-4o"},
		{"gpt-4o-mini", "gpt-4o-mini"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18"},
		{"gpt-4o-2024-08-06", "gpt-4o-2024-08-06"},
		{"gpt-4-turbo-preview", "gpt-4-turbo-preview"},
		{"gpt-4-1106-preview", "gpt-4-1106-preview"},
		{"gpt-3.5-turbo-0125", "gpt-3.5-turbo-0125"},
		{"gpt-35-turbo-16k", "gpt-35-turbo-16k"},
		{"gpt-4.1-nano", "gpt-4.1-nano"},
		{"gpt-4.5-preview", "gpt-4.5-preview"},
		{"gpt-5", "gpt-5"},
		{"gpt-5-codex", "gpt-5-codex"},
		{"gpt-5-chat-latest", "gpt-5-chat-latest"},
		{"gpt-oss-120b", "gpt-oss-120b"},
		{"gpt-oss:20b", "gpt-oss"},
		{"gpt-4o-audio-preview", "gpt-4o-audio-preview"},
		{"gpt-4o-realtime-preview", "gpt-4o-realtime-preview"},
		{"gpt-4o-search-preview", "gpt-4o-search-preview"},
		{"gpt-4o-mini-tts", "gpt-4o-mini-tts"},
		{"gpt-image-1", "gpt-image-1"},
		{"chatgpt-4o-latest", "chatgpt-4o-latest"},
		{"o1", "o1"},
		{"o1-preview-2024-09-12", "o1-preview-2024-09-12"},
		{"o1-pro", "o1-pro"},
		{"o3-mini", "o3-mini"},
		{"o3-mini-high", "o3-mini-high"},
		{"o3-deep-research", "o3-deep-research"},
		{"o4-mini-deep-research", "o4-mini-deep-research"},
		{"codex-mini-latest", "codex-mini-latest"},
		{"text-embedding-3-small", "text-embedding-3-small"},
		{"text-embedding-ada-002", "text-embedding-ada-002"},
		{"davinci-002", "davinci-002"},
		{"whisper-1", "whisper-1"},
		{"tts-1-hd", "tts-1-hd"},
		{"dall-e-3", "dall-e-3"},
		{"omni-moderation-latest", "omni-moderation-latest"},
		{"GPT-4o", "gpt-4o"},
		{"  gpt-4o-mini\n", "gpt-4o-mini"},
	},
	"Anthropic": {
		{"claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022"},
		{"claude-3-5-haiku", "claude-3-5-haiku"},
		{"claude-3-opus-20240229", "claude-3-opus-20240229"},
		{"claude-3-7-sonnet-latest", "claude-3-7-sonnet-latest"},
		{"claude-3.5-sonnet", "claude-3.5-sonnet"},
		{"claude-sonnet-4-20250514", "claude-sonnet-4-20250514"},
		{"claude-sonnet-4-5", "claude-sonnet-4-5"},
		{"claude-opus-4-1-20250805", "claude-opus-4-1-20250805"},
		{"claude-haiku-4-5", "claude-haiku-4-5"},
		{"claude-2.1", "claude-2.1"},
		{"claude-instant-1.2", "claude-instant-1.2"},
	},
	"Google": {
		{"gemini-1.5-pro", "gemini-1.5-pro"},
		{"gemini-1.5-pro-002", "gemini-1.5-pro-002"},
		{"gemini-1.5-flash-8b", "gemini-1.5-flash-8b"},
		{"gemini-1.5-flash-8b-exp-0924", "gemini-1.5-flash-8b-exp-0924"},
		{"gemini-2.0-flash-lite", "gemini-2.0-flash-lite"},
		{"gemini-2.0-flash-thinking-exp-01-21", "gemini-2.0-flash-thinking-exp-01-21"},
		{"gemini-2.5-pro", "gemini-2.5-pro"},
		{"gemini-2.5-flash-preview-05-20", "gemini-2.5-flash-preview-05-20"},
		{"gemini-2.5-flash-image-preview", "gemini-2.5-flash-image-preview"},
		{"gemini-exp-1206", "gemini-exp-1206"},
		{"gemini-embedding-001", "gemini-embedding-001"},
		{"text-embedding-004", "text-embedding-004"},
		{"gemma-2-9b-it", "gemma-2-9b-it"},
		{"gemma2:9b", "gemma2"},
		{"gemma3:27b-it-qat", "gemma3"},
		{"gemma-3n-e4b-it", "gemma-3n-e4b-it"},
		{"gemma3n", "gemma3n"},
		{"codegemma:7b", "codegemma"},
	},
	"Mistral AI": {
		{"mistral-large-latest", "mistral-large-latest"},
		{"mistral-large-2411", "mistral-large-2411"},
		{"mistral-small-2409", "mistral-small-2409"},
		{"mistral-small-3.1-24b-instruct-2503", "mistral-small-3.1-24b-instruct-2503"},
		{"mistral-medium", "mistral-medium"},
		{"mistral-embed", "mistral-embed"},
		{"mistral-7b-instruct-v0.3", "mistral-7b-instruct-v0.3"},
		{"mistral-nemo", "mistral-nemo"},
		{"open-mistral-nemo-2407", "open-mistral-nemo-2407"},
		{"open-mixtral-8x22b", "open-mixtral-8x22b"},
		{"Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b-instruct-v0.1"},
		{"codestral-latest", "codestral-latest"},
		{"codestral-2405", "codestral-2405"},
		{"ministral-8b-latest", "ministral-8b-latest"},
		{"pixtral-12b-2409", "pixtral-12b-2409"},
		{"pixtral-large-latest", "pixtral-large-latest"},
		{"magistral-medium-2506", "magistral-medium-2506"},
		{"devstral-small-2505", "devstral-small-2505"},
		{"mistral:7b", "mistral"},
	},
	"Meta": {
		{"llama3.1:8b-instruct-q4_K_M", "llama3.1"},
		{"llama3.2:3b", "llama3.2"},
		{"llama3.2-vision", "llama3.2-vision"},
		{"llama2", "llama2"},
		{"llama3", "llama3"},
		{"codellama:13b", "codellama"},
		{"llama-3.3-70b-instruct", "llama-3.3-70b-instruct"},
		{"Llama-3.2-11B-Vision-Instruct", "llama-3.2-11b-vision-instruct"},
		{"llama-4-scout-17b-16e-instruct", "llama-4-scout-17b-16e-instruct"},
		{"llama-4-maverick-17b-128e-instruct-fp8", "llama-4-maverick-17b-128e-instruct-fp8"},
		{"llama-3.1-8b-instant", "llama-3.1-8b-instant"},
		{"llama-3.3-70b-versatile", "llama-3.3-70b-versatile"},
		{"llama3-70b-8192", "llama3-70b-8192"},
		{"llama-guard-3-8b", "llama-guard-3-8b"},
		{"llama-3.2-1b-instruct-q4_k_m", "llama-3.2-1b-instruct-q4-k-m"},
		{"Meta-Llama-3.1-8B-Instruct", "meta-llama-3.1-8b-instruct"},
	},
	"DeepSeek": {
		{"deepseek-chat", "deepseek-chat"},
		{"deepseek-reasoner", "deepseek-reasoner"},
		{"deepseek-r1", "deepseek-r1"},
		{"deepseek-r1:7b", "deepseek-r1"},
		{"deepseek-v3", "deepseek-v3"},
		{"DeepSeek-V3-0324", "deepseek-v3-0324"},
		{"deepseek-v2.5", "deepseek-v2.5"},
		{"deepseek-coder-v2-lite-instruct", "deepseek-coder-v2-lite-instruct"},
		{"deepseek-r1-distill-llama-70b", "deepseek-r1-distill-llama-70b"},
		{"deepseek-r1-distill-qwen-32b", "deepseek-r1-distill-qwen-32b"},
		{"deepseek-vl2", "deepseek-vl2"},
	},
	"xAI": {
		{"grok-2", "grok-2"},
		{"grok-2-1212", "grok-2-1212"},
		{"grok-2-vision-1212", "grok-2-vision-1212"},
		{"grok-beta", "grok-beta"},
		{"grok-3-mini-fast", "grok-3-mini-fast"},
		{"grok-3-mini-beta", "grok-3-mini-beta"},
		{"grok-4", "grok-4"},
		{"grok-4-0709", "grok-4-0709"},
		{"grok-4-fast-reasoning", "grok-4-fast-reasoning"},
		{"grok-code-fast-1", "grok-code-fast-1"},
	},
	"Qwen (Alibaba)": {
		{"qwen2.5:7b", "qwen2.5"},
		{"qwen2.5:latest", "qwen2.5"},
		{"qwen2.5-coder:32b", "qwen2.5-coder"},
		{"qwen2.5vl:7b", "qwen2.5vl"},
		{"qwen-max", "qwen-max"},
		{"qwen-plus", "qwen-plus"},
		{"qwen-turbo", "qwen-turbo"},
		{"Qwen2.5-72B-Instruct", "qwen2.5-72b-instruct"},
		{"qwen3:30b-a3b", "qwen3"},
		{"qwen3-235b-a22b", "qwen3-235b-a22b"},
		{"qwen3-30b-a3b-instruct-2507", "qwen3-30b-a3b-instruct-2507"},
		{"qwen2-vl-72b-instruct", "qwen2-vl-72b-instruct"},
		{"qwen3-coder", "qwen3-coder"},
		{"qwq:32b", "qwq"},
		{"qwq-32b-preview", "qwq-32b-preview"},
		{"qvq-72b-preview", "qvq-72b-preview"},
	},
	"Perplexity": {
		{"sonar", "sonar"},
		{"sonar-pro", "sonar-pro"},
		{"sonar-reasoning-pro", "sonar-reasoning-pro"},
		{"sonar-deep-research", "sonar-deep-research"},
		{"llama-3.1-sonar-large-128k-online", "llama-3.1-sonar-large-128k-online"},
		{"r1-1776", "r1-1776"},
	},
	"Cohere": {
		{"command-r", "command-r"},
		{"command-r-plus", "command-r-plus"},
		{"command-r-plus-08-2024", "command-r-plus-08-2024"},
		{"command-r7b-12-2024", "command-r7b-12-2024"},
		{"command-a-03-2025", "command-a-03-2025"},
		{"command-light", "command-light"},
		{"command-nightly", "command-nightly"},
		{"embed-english-v3.0", "embed-english-v3.0"},
		{"embed-multilingual-v3.0", "embed-multilingual-v3.0"},
		{"rerank-v3.5", "rerank-v3.5"},
		{"aya-expanse-32b", "aya-expanse-32b"},
		{"c4ai-aya-expanse-32b", "c4ai-aya-expanse-32b"},
	},
	"Microsoft": {
		{"phi3", "phi3"},
		{"phi3.5", "phi3.5"},
		{"phi4", "phi4"},
		{"phi4-mini", "phi4-mini"},
		{"phi4-mini-reasoning", "phi4-mini-reasoning"},
		{"Phi-3-mini-4k-instruct", "phi-3-mini-4k-instruct"},
		{"Phi-3-mini-128k-instruct", "phi-3-mini-128k-instruct"},
		{"phi-3.5-moe-instruct", "phi-3.5-moe-instruct"},
		{"phi-4-multimodal-instruct", "phi-4-multimodal-instruct"},
		{"wizardlm2:7b", "wizardlm2"},
	},
	"Amazon": {
		{"amazon.nova-pro-v1:0", "nova-pro-v1"},
		{"amazon.titan-embed-text-v2:0", "titan-embed-text-v2"},
		{"amazon.titan-text-express-v1", "titan-text-express-v1"},
	},
	"others": {
		{"granite3.1-dense:8b", "granite3.1-dense"},
		{"granite-3.3-8b-instruct", "granite-3.3-8b-instruct"},
		{"llama-3.1-nemotron-70b-instruct", "llama-3.1-nemotron-70b-instruct"},
		{"kimi-k2-instruct", "kimi-k2-instruct"},
		{"glm-4.5-air", "glm-4.5-air"},
		{"jamba-1.5-large", "jamba-1.5-large"},
		{"yi:34b", "yi"},
		{"falcon3:10b", "falcon3"},
		{"starcoder2:15b", "starcoder2"},
		{"llava:13b", "llava"},
		{"smollm2:1.7b", "smollm2"},
		{"olmo2", "olmo2"},
		{"hermes3", "hermes3"},
		{"nomic-embed-text", "nomic-embed-text"},
		{"mxbai-embed-large", "mxbai-embed-large"},
		{"snowflake-arctic-embed", "snowflake-arctic-embed"},
		{"bge-m3", "bge-m3"},
		{"minimax-m1", "minimax-m1"},
	},
}

func TestNormalizeModelKeepsPublicNames(t *testing.T) {
	for vendor, cases := range publicModels {
		t.Run(vendor, func(t *testing.T) {
			for _, c := range cases {
				if got := NormalizeModel(c.in); got != c.want {
					t.Errorf("NormalizeModel(%q) = %q, want %q", c.in, got, c.want)
				}
			}
		})
	}
}

func TestNormalizeModelCoversEachVendor(t *testing.T) {
	vendors := map[string]bool{}
	for _, f := range ModelFamilies() {
		vendors[f.Vendor] = true
	}
	for _, v := range []string{"OpenAI", "Anthropic", "Google", "Mistral AI", "Meta", "DeepSeek",
		"xAI", "Qwen (Alibaba)", "Perplexity", "Cohere", "Microsoft"} {
		if !vendors[v] {
			t.Errorf("ModelFamilies() has no vendor %q", v)
		}
		if len(publicModels[v]) < 3 {
			t.Errorf("vendor %q has %d example names in the test, want several", v, len(publicModels[v]))
		}
	}
}

func TestNormalizeModel(t *testing.T) {
	tests := []struct {
		name string
		in   []modelCase
	}{
		{"router prefixes are stripped", []modelCase{
			{"anthropic/claude-3.5-sonnet", "claude-3.5-sonnet"},
			{"openai/gpt-4o-mini", "gpt-4o-mini"},
			{"google/gemini-2.0-flash-001", "gemini-2.0-flash-001"},
			{"google/gemma-2-27b-it", "gemma-2-27b-it"},
			{"meta-llama/Llama-3.3-70B-Instruct-Turbo", "llama-3.3-70b-instruct-turbo"},
			{"meta-llama/llama-3.1-405b-instruct:free", "llama-3.1-405b-instruct"},
			{"meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "meta-llama-3.1-8b-instruct-turbo"},
			{"mistralai/Mistral-7B-Instruct-v0.2", "mistral-7b-instruct-v0.2"},
			{"mistralai/mixtral-8x7b-instruct", "mixtral-8x7b-instruct"},
			{"deepseek/deepseek-chat", "deepseek-chat"},
			{"deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "deepseek-r1-distill-llama-70b"},
			{"x-ai/grok-beta", "grok-beta"},
			{"qwen/qwen-2.5-72b-instruct", "qwen-2.5-72b-instruct"},
			{"Qwen/Qwen2.5-Coder-32B-Instruct", "qwen2.5-coder-32b-instruct"},
			{"cohere/command-r-plus", "command-r-plus"},
			{"perplexity/sonar", "sonar"},
			{"perplexity/r1-1776", "r1-1776"},
			{"microsoft/Phi-3-mini-4k-instruct", "phi-3-mini-4k-instruct"},
			{"microsoft/wizardlm-2-8x22b", "wizardlm-2-8x22b"},
			{"nvidia/llama-3.1-nemotron-70b-instruct", "llama-3.1-nemotron-70b-instruct"},
			{"openrouter/anthropic/claude-3.5-sonnet:beta", "claude-3.5-sonnet"},
			{"models/gemini-1.5-pro-002", "gemini-1.5-pro-002"},
			{"vertex_ai/gemini-1.5-pro", "gemini-1.5-pro"},
			{"groq/llama3-70b-8192", "llama3-70b-8192"},
			{"together_ai/meta-llama/Llama-3-70b-chat-hf", "llama-3-70b-chat-hf"},
			{"ollama/llama3.1", "llama3.1"},
			{"ollama_chat/qwen2.5:14b", "qwen2.5"},
			{"mlx-community/Qwen2.5-7B-Instruct-4bit", "qwen2.5-7b-instruct-4bit"},
			{"unsloth/Llama-3.2-1B-Instruct-GGUF", "llama-3.2-1b-instruct-gguf"},
		}},
		{"bedrock prefixes are stripped", []modelCase{
			{"anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022-v2"},
			{"us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022-v2"},
			{"eu.anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307-v1"},
			{"apac.amazon.nova-lite-v1:0", "nova-lite-v1"},
			{"meta.llama3-1-70b-instruct-v1:0", "llama3-1-70b-instruct-v1"},
			{"us.meta.llama3-2-11b-instruct-v1:0", "llama3-2-11b-instruct-v1"},
			{"cohere.command-r-plus-v1:0", "command-r-plus-v1"},
			{"mistral.mistral-large-2407-v1:0", "mistral-large-2407-v1"},
			{"ai21.jamba-1-5-large-v1:0", "jamba-1-5-large-v1"},
			{"us.deepseek.r1-v1:0", "r1-v1"},
			{"bedrock/anthropic.claude-3-sonnet-20240229-v1:0", "claude-3-sonnet-20240229-v1"},
		}},
		{"local tags are dropped", []modelCase{
			{"llama3.1:8b-instruct-q4_K_M", "llama3.1"},
			{"qwen2.5:latest", "qwen2.5"},
			{"deepseek-r1:70b", "deepseek-r1"},
			{"llama3:alice", "llama3"},
			{"gpt-4o:11434", "gpt-4o"},
			{"mistral:7b-instruct-v0.3-fp16", "mistral"},
			{"claude-3-5-sonnet@20240620", "claude-3-5-sonnet"},
			{"claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-v2"},
			{"gpt-4o@acme", "gpt-4o"},
		}},
		{"fine-tunes are withheld", []modelCase{
			{"ft:gpt-4o-mini:acme::x", ModelFineTuned},
			{"ft:gpt-4o-mini-2024-07-18:acme-corp:support-bot:9abcDEF1", ModelFineTuned},
			{"ft:gpt-3.5-turbo:my-org:custom_suffix:id", ModelFineTuned},
			{"FT:GPT-4O:ACME::X", ModelFineTuned},
			{"gpt-35-turbo-0613.ft-0123456789abcdef", ModelFineTuned},
			{"acme-corp-finetune", ModelFineTuned},
			{"llama3-alice-finetuned", ModelFineTuned},
			{"llama-3-8b-fine-tuned", ModelFineTuned},
			{"acme/llama3-lora", ModelFineTuned},
			{"mistral-7b-qlora-support", ModelFineTuned},
			{"qwen2.5-merged-bob", ModelFineTuned},
			{"llama3:custom", ModelFineTuned},
			{"tunedModels/acme-support-bot-x1y2", ModelFineTuned},
			{"acme/Meta-Llama-3.1-8B-Instruct-Reference-ft-abc123", ModelFineTuned},
			{"fine-tuned", ModelFineTuned},
		}},
		{"customers and people are withheld", []modelCase{
			{"acme-corp-model", ModelOther},
			{"gpt-4o-acme", ModelOther},
			{"llama3-alice", ModelOther},
			{"claude-bob-smith", ModelOther},
			{"acme/llama3", ModelOther},
			{"alice/gpt-4o", ModelOther},
			{"acmecorp-brand", ModelOther},
			{"gpt-4o-j-d-s", ModelOther},
			{"hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M", ModelOther},
			{"accounts/acme/models/llama-v3-8b", ModelOther},
			{"azure/acme-prod-gpt4", ModelOther},
		}},
		{"hosts and addresses are withheld", []modelCase{
			{"alice-laptop:11434", ModelOther},
			{"localhost:11434", ModelOther},
			{"ollama.acme.internal", ModelOther},
			{"gpt.acme.com", ModelOther},
			{"gpt4.acme.com", ModelOther},
			{"192.168.1.10:11434", ModelOther},
			{"10.0.0.5", ModelOther},
			{"llama3-192.168.1.10", ModelOther},
			{"llama3-192-168-1-10", ModelOther},
			{"[::1]:11434", ModelOther},
			{"http://alice-laptop:11434/v1", ModelOther},
			{"https://api.openai.com/v1/gpt-4o", ModelOther},
			{"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc", ModelOther},
			{"alice@example.com", ModelOther},
		}},
		{"paths are withheld", []modelCase{
			{"/home/alice/models/llama3.gguf", ModelOther},
			{"./x", ModelOther},
			{"../llama3", ModelOther},
			{"..", ModelOther},
			{"~/models/llama3", ModelOther},
			{`C:\Users\alice\models\llama3.gguf`, ModelOther},
			{"c:/users/alice/llama3.gguf", ModelOther},
			{"models//gemini-pro", ModelOther},
			{"anthropic/", ModelOther},
			{"/gpt-4o", ModelOther},
			{"a/b/c/d/e/gpt-4o", ModelOther},
		}},
		{"secrets are withheld", []modelCase{
			{"sk-proj-abc123DEF456ghi789JKL012", ModelOther},
			{"gpt-4o-sk-abc123def456", ModelOther},
			{"gpt-4o-deadbeefcafe1234", ModelOther},
			{"gpt-4-0123456789abcdef0123456789abcdef", ModelOther},
			{"gpt-4-123456789012", ModelOther},
			{"gpt-4-12345", ModelOther},
			{"gpt-4-20241322", ModelOther},
			{"gpt-4-41111111-11111111", ModelOther},
			{"gpt-4-4111-1111-1111-1111", ModelOther},
			{"gpt-4-v123456789", ModelOther},
			{"gpt-4.12345", ModelOther},
			{"mixtral-8x12345b", ModelOther},
			{"llama3-a1b2c3d4", ModelOther},
			{"pplx-abc123def456ghi789", ModelOther},
		}},
		{"malformed names are withheld", []modelCase{
			{"", ModelOther},
			{"   ", ModelOther},
			{"gpt--4o", ModelOther},
			{"gpt-4o-", ModelOther},
			{"-gpt-4o", ModelOther},
			{"gpt-4..5", ModelOther},
			{"gpt-4.", ModelOther},
			{"gpt 4o", ModelOther},
			{"gpt-4o\x00", ModelOther},
			{"gpt-4o\u00e9", ModelOther},
			{"other", ModelOther},
			{"unknown-model", ModelOther},
			{"tinyllama", ModelOther},
			{"gpt-" + strings.Repeat("mini-", 13), ModelOther},
			{strings.Repeat("a", 1000), ModelOther},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range tt.in {
				if got := NormalizeModel(c.in); got != c.want {
					t.Errorf("NormalizeModel(%q) = %q, want %q", c.in, got, c.want)
				}
			}
		})
	}
}

// TestModelVocabulary checks that the lists NormalizeModel reads agree with
// each other: its results stay within its output alphabet, and no word it
// keeps is a fine-tune marker, which keeps it idempotent.
func TestModelVocabulary(t *testing.T) {
	sets := loadModelSets()
	lists := map[string][]string{"words": modelWords, "markers": modelFineTuneMarkers}
	for _, f := range modelFamilies {
		lists["family "+f.Vendor] = f.Names
	}
	for name, l := range lists {
		t.Run(name, func(t *testing.T) {
			for _, w := range l {
				if w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
					t.Errorf("%q is not lower-case letters and digits", w)
				}
				if name != "markers" && modelHas(sets.markers, w) {
					t.Errorf("%q is both kept and a fine-tune marker", w)
				}
			}
		})
	}
	t.Run("families are unique", func(t *testing.T) {
		var all []string
		for _, f := range modelFamilies {
			all = append(all, f.Names...)
		}
		slices.Sort(all)
		if c := slices.Compact(slices.Clone(all)); len(c) != len(all) {
			t.Errorf("a family word is listed under two vendors: %v", all)
		}
	})
}

func TestModelFamilies(t *testing.T) {
	got := ModelFamilies()
	if !slices.IsSortedFunc(got, func(a, b ModelFamily) int { return strings.Compare(a.Vendor, b.Vendor) }) {
		t.Errorf("ModelFamilies() is not sorted by vendor")
	}
	for _, f := range got {
		if !slices.IsSorted(f.Names) {
			t.Errorf("names of %s are not sorted: %v", f.Vendor, f.Names)
		}
		for _, n := range f.Names {
			if got := NormalizeModel(n); got != n {
				t.Errorf("NormalizeModel(%q) = %q, want the family itself", n, got)
			}
		}
	}
	// The result is a copy: changing it changes nothing for later callers.
	got[0].Vendor = "changed"
	got[0].Names[0] = "changed"
	again := ModelFamilies()
	if again[0].Vendor == "changed" || again[0].Names[0] == "changed" {
		t.Errorf("ModelFamilies() returned the package's own slices")
	}
	if NormalizeModel("changed") != ModelOther {
		t.Errorf("changing ModelFamilies() changed what NormalizeModel recognises")
	}
}

// checkNormalized reports what is wrong with out, the result of
// NormalizeModel(in), or "".
func checkNormalized(in, out string) string {
	if out == ModelOther || out == ModelFineTuned {
		return ""
	}
	if len(out) == 0 || len(out) > maxModelLen {
		return "length out of range"
	}
	if strings.Trim(out, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
		return "a byte outside [a-z0-9.-]"
	}
	first, _, _ := strings.Cut(out, "-")
	if !modelFamilyWord(loadModelSets(), first) {
		return "first word " + first + " is not a known family"
	}
	if again := NormalizeModel(out); again != out {
		return "not idempotent: normalising again gives " + again
	}
	return ""
}

func FuzzNormalizeModel(f *testing.F) {
	for _, cases := range publicModels {
		for _, c := range cases {
			f.Add(c.in)
		}
	}
	for _, s := range []string{
		"anthropic/claude-3.5-sonnet", "ft:gpt-4o-mini:acme::x", "alice-laptop:11434",
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0", "/home/alice/m.gguf", "..",
		"llama3-192-168-1-10", "gpt-4o-sk-abc", "fine-tuned", "other", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := NormalizeModel(in)
		if msg := checkNormalized(in, out); msg != "" {
			t.Errorf("NormalizeModel(%q) = %q: %s", in, out, msg)
		}
		if out == ModelFineTuned || out == ModelOther {
			if again := NormalizeModel(out); again != out {
				t.Errorf("NormalizeModel(%q) = %q, not idempotent", out, again)
			}
		}
	})
}

func BenchmarkNormalizeModel(b *testing.B) {
	names := []string{
		"gpt-4o-mini",
		"anthropic/claude-3.5-sonnet",
		"llama3.1:8b-instruct-q4_K_M",
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0",
		"ft:gpt-4o-mini:acme::x",
		"alice-laptop:11434",
	}
	for _, n := range names {
		b.Run(n, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				NormalizeModel(n)
			}
		})
	}
}
