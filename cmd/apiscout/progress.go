package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// barWidth is the number of cells of the progress bar; maxLabel the
// longest file name shown before it (longer ones keep their end).
const (
	barWidth = 28
	maxLabel = 40
)

// progressBar draws one self-rewriting line on a terminal:
//
//	example.json [=========>                  ] running   3.2s
//
// The bar fills by requests processed when the server reports them, and
// sweeps back and forth while it does not (a queued or running import whose
// counts are not yet known). It is drawn only when stderr is a terminal.
type progressBar struct {
	w     io.Writer
	label string
	now   func() time.Time
	start time.Time
	doc   importDoc
	frame int
	width int // of the last line drawn, to blank it out
}

func newProgressBar(w io.Writer, label string, now func() time.Time) *progressBar {
	if r := []rune(label); len(r) > maxLabel {
		label = "…" + string(r[len(r)-maxLabel+1:])
	}
	return &progressBar{w: w, label: label, now: now, start: now()}
}

// update takes the import's latest state and redraws.
func (p *progressBar) update(d importDoc) {
	p.doc = d
	p.draw()
}

// draw redraws the line (the sweep moves one cell per call).
func (p *progressBar) draw() {
	line := p.line()
	pad := ""
	if n := p.width - len([]rune(line)); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.width = len([]rune(line))
	p.frame++
}

func (p *progressBar) line() string {
	d := p.doc
	cells := []rune(strings.Repeat(" ", barWidth))
	done := d.Counts.Imported + d.skipped()
	switch {
	case d.finished():
		for i := range cells {
			cells[i] = '='
		}
	case d.Counts.Total > 0 && done > 0:
		n := min(barWidth, done*barWidth/d.Counts.Total)
		for i := range n {
			cells[i] = '='
		}
		if n < barWidth {
			cells[n] = '>'
		}
	default:
		// Sweep a 3-cell marker back and forth.
		span := barWidth - 3
		pos := p.frame % (2 * span)
		if pos > span {
			pos = 2*span - pos
		}
		copy(cells[pos:], []rune("<=>"))
	}
	status := d.Status
	if r := d.Counts.Replay; r != nil && r.Total > 0 && d.Status == "running" {
		status = "replaying"
	}
	if d.Counts.Total > 0 && !d.finished() && done > 0 {
		status = fmt.Sprintf("%s %d/%d", status, done, d.Counts.Total)
	}
	elapsed := p.now().Sub(p.start).Round(100 * time.Millisecond)
	return fmt.Sprintf("%s [%s] %-9s %6s", p.label, string(cells), status, elapsed)
}

// clear blanks the line, so the summary on stdout starts clean.
func (p *progressBar) clear() {
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
}
