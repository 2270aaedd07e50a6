package processors

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScrubDrops(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Reason
	}{
		{"unix absolute path", "/home/alice/projects/elmo", ReasonPath},
		{"path inside text", "open /etc/passwd failed", ReasonPath},
		{"relative path", "./config/elmo.yaml", ReasonPath},
		{"parent path", "../secrets", ReasonPath},
		{"home path", "~/.config/elmo/config.json", ReasonPath},
		{"tilde user", "~alice", ReasonPath},
		{"windows path", `C:\Users\alice\elmo`, ReasonPath},
		{"windows forward slashes", "C:/Users/alice", ReasonPath},
		{"unc path", `\\fileserver\share\x`, ReasonPath},
		{"dir/file", "brands/acme", ReasonPath},
		{"dot file", ".env", ReasonPath},
		{"file url without host", "file:///etc/hosts", ReasonPath},
		{"https url", "https://api.openai.com/v1", ReasonURL},
		{"postgres url", "postgres://elmo:hunter2@db:5432/elmo", ReasonURL},
		{"url inside text", "see http://x for more", ReasonURL},
		{"custom scheme", "myapp://callback", ReasonURL},
		{"www form", "www.acme-brand.com", ReasonURL},
		{"email", "alice@example.com", ReasonEmail},
		{"email inside text", "contact: bob.smith+elmo@mail.acme.co.uk", ReasonEmail},
		{"user at host", "root@localhost", ReasonEmail},
		{"fqdn", "db.internal.example.com", ReasonHostname},
		{"local host name", "my-mac.local", ReasonHostname},
		{"bare domain", "example.com", ReasonHostname},
		{"trailing dot fqdn", "example.com.", ReasonHostname},
		{"file name", "config.json", ReasonHostname},
		{"host with port", "db.example.net:5432", ReasonHostname},
		{"ipv4", "192.168.1.20", ReasonHostname},
		{"ipv4 with port", "10.0.0.1:8080", ReasonHostname},
		{"ipv6 compressed", "fe80::1ff:fe23:4567:890a", ReasonHostname},
		{"ipv6 full", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", ReasonHostname},
		{"openai key", "sk-proj-Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901", ReasonCredential},
		{"short openai-style key", "sk-Abc123xyz", ReasonCredential},
		{"anthropic key", "sk-ant-api03-Xy7_Qw3-Lm9Zt2Vb6Nc1Rd5Fg8Hj4Kk0Pp", ReasonCredential},
		{"posthog project key", "phc_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv1", ReasonCredential},
		{"posthog personal key", "phx_9f8e7D6c5B4a3", ReasonCredential},
		{"github token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", ReasonCredential},
		{"groq key", "gsk_Zx81Qw2Lm3Nb4Vc5", ReasonCredential},
		{"key after equals", "api=sk-Abc123xyz99", ReasonCredential},
		{"jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", ReasonCredential},
		{"bearer", "Bearer abc.def", ReasonCredential},
		{"bearer lower case", "authorization failed: bearer xyz", ReasonCredential},
		{"aws access key id", "AKIAIOSFODNN7EXAMPLE", ReasonCredential},
		{"aws key id glued", "keyAKIAIOSFODNN7EXAMPLE", ReasonCredential},
		{"hex 32", "0123456789abcdef0123456789abcdef", ReasonCredential},
		{"hex 40 upper", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", ReasonCredential},
		{"dashless uuid", "550e8400e29b41d4a716446655440000", ReasonCredential},
		{"base64", "QWxhZGRpbjpvcGVuIHNlc2FtZQ0KZXh0cmFkYXRh", ReasonCredential},
		{"base64url", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ReasonCredential},
		{"lower and digits run", "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7", ReasonCredential},
		{"password word", "password=hunter2", ReasonCredential},
		{"secret word", "CLIENT_SECRET", ReasonCredential},
		{"api key word", "ApiKey missing", ReasonCredential},
		{"pem", "-----BEGIN OPENSSH PRIVATE KEY-----", ReasonCredential},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, why, ok := Scrub(tt.in)
			if ok || out != "" {
				t.Fatalf("Scrub(%q) = %q, %v, %v; want it dropped", tt.in, out, why, ok)
			}
			if why != tt.want {
				t.Errorf("Scrub(%q) reason = %v, want %v", tt.in, why, tt.want)
			}
		})
	}
}

func TestScrubKeeps(t *testing.T) {
	keep := []string{
		"", "embedded", "external", "openai", "other", "ok", "error",
		"rate_limited", "server_error", "invalid_response", "env_file", "cli_init",
		"gpt-4o-mini", "gpt-4o-2024-08-06", "gpt-3.5-turbo", "claude-3-5-sonnet-latest",
		"claude-3.5-sonnet", "claude-3-5-sonnet-20241022", "llama3.1:8b",
		"qwen2.5:7b", "deepseek-r1:1.5b", "mistral-large-latest", "gemini-1.5-pro",
		"gemini-1.5-pro-latest", "o1-mini", "anthropic.claude-3-5-sonnet-20240620-v1:0",
		"1.2.3", "v0.4.0-rc.1", "v1.0.0-beta.2", "go1.26.8", "(devel)",
		"v0.0.0-20260101120000-abcdef123456", "darwin", "linux", "windows", "amd64",
		"arm64", "go", "elmo-cli", "elmo-web", "local", "whitelabel",
		"550e8400-e29b-41d4-a716-446655440000", // UUID v4, the shape of the install ID
		"12:30:45", "e.g.", "n=3", "task-runner", "disk-usage", "hf_transfer",
		"meta-llama-3-1-405b-instruct-turbo", "@channel", "a@", "100%",
	}
	for _, in := range keep {
		t.Run(in, func(t *testing.T) {
			out, why, ok := Scrub(in)
			if !ok || out != in || why != ReasonNone {
				t.Errorf("Scrub(%q) = %q, %v, %v; want it kept unchanged", in, out, why, ok)
			}
		})
	}
}

func TestScrubTruncates(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"ascii", strings.Repeat("ab ", 100)},
		{"multi-byte at the limit", strings.Repeat("x", MaxValueLen-1) + "é" + "zz"},
		{"cjk", strings.Repeat("語", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, ok := Scrub(tt.in)
			if !ok {
				t.Fatalf("Scrub dropped %q", tt.in)
			}
			if len(out) > MaxValueLen {
				t.Errorf("len(out) = %d, want at most %d", len(out), MaxValueLen)
			}
			if !utf8.ValidString(out) {
				t.Errorf("out is not valid UTF-8: %q", out)
			}
			if !strings.HasPrefix(tt.in, out) || len(out) < MaxValueLen-utf8.UTFMax {
				t.Errorf("out = %q is not the longest prefix within the limit", out)
			}
		})
	}
}

// canaries are values that must never leave the process, whatever
// surrounds them.
var canaries = []string{
	"/home/canary-user/.ssh/id_rsa",
	`C:\Users\canary\Documents\brand-plan.docx`,
	`\\canary-nas\share\prompts`,
	"~/canary/.env",
	"./canary/secret.txt",
	"canary.user@example.com",
	"https://canary.example.com/path",
	"sk-ant-api03-CanaryQ2mZ9vB4nL1pK8sD3fG6hJ0wE5rTyUiOp",
	"sk-proj-Canary7xQ2mZ9vB4nL1pK8sD3fG6hJ0wE5rT",
	"phc_CanaryK3y9xQ2mZ9vB4nL1pK8sD3fG6hJ0wE5rTyU",
	"phx_CanaryK3y9xQ2mZ9vB4nL1pK8sD3fG6hJ0wE5rTyU",
	"ghp_Canary16C7e42F292c6912E7710c838347Ae17",
	"eyJhbGciOiJIUzI1NiJ9.eyJjYW5hcnkiOnRydWV9.Q2FuYXJ5U2lnbmF0dXJlMDEyMzQ1Njc4OQ",
	"AKIACANARYEXAMPLE7Q2",
	"Bearer canary-token-7",
	"ca7a4b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b",
}

// hostCanaries are host names that must never leave the process. A host
// name is only recognisable as a whole word, so the fuzz test puts spaces
// around them.
var hostCanaries = []string{
	"db.canary-internal.example.com",
	"canary-mac.local",
	"10.20.30.40",
}

func FuzzScrub(f *testing.F) {
	seeds := []struct {
		before, after string
		canary        uint8
	}{
		{"", "", 0},
		{"open ", ": no such file or directory", 0},
		{"error: ", "", 5},
		{"gpt-4o-mini ", "", 7},
		{"x", "y", 13},
		{"key=", "\n", 11},
		{"語", "é", 16},
		{"", strings.Repeat("a", 300), 1},
		{"AKIA", "", 13},
	}
	for _, s := range seeds {
		f.Add(s.before, s.after, s.canary)
	}
	f.Fuzz(func(t *testing.T, before, after string, which uint8) {
		var canary, in string
		if n := int(which) % (len(canaries) + len(hostCanaries)); n < len(canaries) {
			canary = canaries[n]
			in = before + canary + after
		} else {
			canary = hostCanaries[n-len(canaries)]
			in = before + " " + canary + " " + after
		}
		out, why, ok := Scrub(in)
		if strings.Contains(out, canary) {
			t.Fatalf("Scrub(%q) = %q, %v, %v: the canary %q came out", in, out, why, ok, canary)
		}
		if ok {
			t.Fatalf("Scrub(%q) kept a value holding the canary %q", in, canary)
		}
		// Whatever it gets, Scrub keeps its own promises.
		out, _, ok = Scrub(before)
		if ok && (len(out) > MaxValueLen || !strings.HasPrefix(before, out)) {
			t.Fatalf("Scrub(%q) = %q: not a prefix within %d bytes", before, out, MaxValueLen)
		}
	})
}

func BenchmarkScrub(b *testing.B) {
	for _, in := range []string{"embedded", "claude-3-5-sonnet-latest", strings.Repeat("word ", 40)} {
		b.Run(strings.TrimSpace(in[:min(len(in), 24)]), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Scrub(in)
			}
		})
	}
}
