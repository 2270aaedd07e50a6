package apicheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// readmeMaxLines is the length of a README that is a front door: what
// this is, how to set it up and use it, and where the rest is.
const readmeMaxLines = 120

// TestREADMEIsAFrontDoor fails when README.md grows past readmeMaxLines:
// what does not fit belongs on a page under docs/ that it links.
func TestREADMEIsAFrontDoor(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n > readmeMaxLines {
		t.Errorf("README.md has %d lines, more than %d: move the details to a page under docs/ and link it", n, readmeMaxLines)
	}
}

// TestMarkdownLinksResolve fails when a link of a Markdown file of the
// repository (README.md, docs/*.md and the others) to another file of
// the repository names a file or directory that does not exist, or a
// heading that the Markdown file it names does not have.
func TestMarkdownLinksResolve(t *testing.T) {
	files := markdownFiles(t)
	for _, want := range []string{"README.md", "ARCHITECTURE.md", "docs/telemetry.md"} {
		if _, ok := files[want]; !ok {
			t.Fatalf("%s was not found among the Markdown files: the walk is broken", want)
		}
	}
	for name, text := range files {
		for _, target := range markdownLinks(text) {
			if msg := resolveLink(files, name, target); msg != "" {
				t.Errorf("%s: the link %s %s", name, target, msg)
			}
		}
	}
}

// markdownFiles returns the text of every Markdown file of the
// repository, by path relative to its root, leaving out hidden
// directories and test data.
func markdownFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if filepath.Ext(path) != ".md" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var (
	fence       = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```[^\\n]*$")
	codeSpan    = regexp.MustCompile("`[^`\\n]*`")
	htmlComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	inlineLink  = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLinkDef  = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?`)
	atxHeading  = regexp.MustCompile(`(?m)^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	mdLinkText  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// markdownLinks returns the targets of the inline links and link
// definitions of a Markdown text, outside code.
func markdownLinks(text string) []string {
	text = fence.ReplaceAllString(text, "")
	text = htmlComment.ReplaceAllString(text, "")
	text = codeSpan.ReplaceAllString(text, "code")
	var out []string
	for _, re := range []*regexp.Regexp{inlineLink, refLinkDef} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// resolveLink returns why a link of the file from does not resolve, or ""
// when it does or when it leads out of the repository.
func resolveLink(files map[string]string, from, target string) string {
	path, ok := strings.CutPrefix(target, repoBlob)
	if !ok {
		if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			return ""
		}
		path = target
		if !strings.HasPrefix(path, "#") {
			path = filepath.ToSlash(filepath.Join(filepath.Dir(from), path))
		}
	}
	path, anchor, _ := strings.Cut(path, "#")
	if path == "" {
		path = from
	}
	path = filepath.ToSlash(filepath.Clean(path))
	if path == ".." || strings.HasPrefix(path, "../") {
		return "leads out of the repository"
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(path))); err != nil {
		return "names " + path + ", which does not exist"
	}
	if anchor == "" {
		return ""
	}
	text, ok := files[path]
	if !ok {
		return "" // an anchor into a file that is not Markdown: a line, say
	}
	for _, slug := range headingSlugs(text) {
		if slug == anchor {
			return ""
		}
	}
	return fmt.Sprintf("names the heading #%s, which %s does not have", anchor, path)
}

// headingSlugs returns the anchors that GitHub gives the headings of a
// Markdown text: lower case, punctuation removed, spaces as hyphens, and
// -1, -2, ... after a repeated one.
func headingSlugs(text string) []string {
	text = fence.ReplaceAllString(text, "")
	seen := map[string]int{}
	var out []string
	for _, m := range atxHeading.FindAllStringSubmatch(text, -1) {
		h := mdLinkText.ReplaceAllString(m[1], "$1")
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case unicode.IsLetter(r) || unicode.IsNumber(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", slug, n))
		} else {
			out = append(out, slug)
		}
		seen[slug]++
	}
	return out
}
