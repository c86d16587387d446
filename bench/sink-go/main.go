// The benchmark's webhook receiver in Go (standard library net/http only), run by
// bench/e2e/run.ts: it answers at once, so the ceiling it gives a bare HTTP loop is the
// machine's, not a Node server's. Same behaviour as bench/e2e/sink.ts:
//
//   - the first path segment says how to answer: /hang/… never answers (the sender's timeout
//     ends it), /slow/…?ms=N answers 200 after N ms, /fail/… answers 500 at once, anything else
//     answers 200 {"status":"OK"} at once; the second names the phase;
//   - per "<answer>/<phase>" it counts arrivals, unique and duplicate (path, webhook-id) pairs,
//     the first and last arrival (epoch ms) and, for Herald's deliveries, commit → arrival
//     latency from the payload's "timestamp" (the change's occurredAt);
//   - GET /_sink/stats gives them as JSON (?kind=K: one kind; &from=N: only its latencies from
//     the Nth on), POST /_sink/reset clears them.
//
// It listens on 127.0.0.1 (port from -port, 0 = any) and prints {"port":N} on stdout.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type kindStats struct {
	Arrivals   int       `json:"arrivals"`
	Unique     int       `json:"unique"`
	Duplicates int       `json:"duplicates"`
	FirstAt    int64     `json:"firstAt"`
	LastAt     int64     `json:"lastAt"`
	Latencies  []float64 `json:"latenciesMs"`
	// LatencyCount: how many latencies the kind holds (latenciesMs may be only the newest).
	LatencyCount int `json:"latencyCount"`
	ids          map[string]struct{}
}

type sink struct {
	mu    sync.Mutex
	stats map[string]*kindStats
}

var timestampKey = []byte(`"timestamp":"`)

// kindOf: the first two path segments, e.g. ok/steady, hang/noisy, fan/fanout.
func kindOf(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	answer, phase := "", ""
	if len(parts) > 0 {
		answer = parts[0]
	}
	if len(parts) > 1 {
		phase = parts[1]
	}
	return answer + "/" + phase
}

// occurredAt: the payload's "timestamp" value, if it has one.
func occurredAt(body []byte) (time.Time, bool) {
	i := bytes.Index(body, timestampKey)
	if i < 0 {
		return time.Time{}, false
	}
	rest := body[i+len(timestampKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	return t, err == nil
}

func (s *sink) record(r *http.Request, body []byte, kind string, hang bool) {
	now := time.Now()
	nowMs := now.UnixMilli()
	id := r.Header.Get("webhook-id")
	var latency float64
	hasLatency := false
	if id != "" && !hang {
		if t, ok := occurredAt(body); ok {
			latency = float64(now.Sub(t).Microseconds()) / 1000
			hasLatency = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.stats[kind]
	if k == nil {
		k = &kindStats{ids: map[string]struct{}{}, Latencies: []float64{}}
		s.stats[kind] = k
	}
	k.Arrivals++
	if k.FirstAt == 0 {
		k.FirstAt = nowMs
	}
	k.LastAt = nowMs
	if id != "" {
		key := r.URL.Path + "|" + id
		if _, seen := k.ids[key]; seen {
			k.Duplicates++
		} else {
			k.ids[key] = struct{}{}
			k.Unique++
		}
		if hasLatency {
			k.Latencies = append(k.Latencies, latency)
		}
	}
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_sink/stats":
		// ?kind=K: that kind only; &from=N: its latencies from the Nth on (a poll that only
		// counts asks for none), so polling does not copy every latency under the lock.
		q := r.URL.Query()
		s.mu.Lock()
		var out []byte
		var err error
		if kind := q.Get("kind"); kind != "" {
			view := kindStats{Latencies: []float64{}}
			if k := s.stats[kind]; k != nil {
				view = *k
				from, _ := strconv.Atoi(q.Get("from"))
				if from < 0 || from > len(k.Latencies) {
					from = len(k.Latencies)
				}
				view.LatencyCount = len(k.Latencies)
				view.Latencies = append([]float64{}, k.Latencies[from:]...)
			}
			out, err = json.Marshal(view)
		} else {
			for _, k := range s.stats {
				k.LatencyCount = len(k.Latencies)
			}
			out, err = json.Marshal(s.stats)
		}
		s.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("content-type", "application/json")
		_, _ = w.Write(out)
		return
	case "/_sink/reset":
		s.mu.Lock()
		s.stats = map[string]*kindStats{}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, _ := io.ReadAll(r.Body)
	kind := kindOf(r.URL.Path)
	hang := strings.HasPrefix(kind, "hang/")
	s.record(r, body, kind, hang)
	if hang {
		<-r.Context().Done() // never answered: the sender's timeout ends it
		return
	}
	if strings.HasPrefix(kind, "fail/") {
		http.Error(w, "fail", http.StatusInternalServerError)
		return
	}
	if strings.HasPrefix(kind, "slow/") {
		if ms, err := strconv.Atoi(r.URL.Query().Get("ms")); err == nil && ms > 0 {
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{"15"}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: any free one)")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sink-go:", err)
		os.Exit(1)
	}
	fmt.Printf("{\"port\":%d}\n", ln.Addr().(*net.TCPAddr).Port)
	server := &http.Server{
		Handler:     &sink{stats: map[string]*kindStats{}},
		IdleTimeout: 60 * time.Second,
	}
	if err := server.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "sink-go:", err)
		os.Exit(1)
	}
}
