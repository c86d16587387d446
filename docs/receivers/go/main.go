// A Herald webhook receiver: verify, de-duplicate, answer at once, work later.
// go get github.com/standard-webhooks/standard-webhooks/libraries@v0.0.1
// WEBHOOK_SECRET=whsec_… PORT=8080 go run .
package main

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const maxBody = 5 << 20

type job struct {
	ID    string
	Event map[string]any
}

var (
	mu   sync.Mutex
	seen = map[string]time.Time{} // webhook-id → first seen; use a unique key in your database instead
	jobs = make(chan job, 1024)   // use a durable queue or table instead
)

func logLine(line map[string]any) {
	b, _ := json.Marshal(line)
	os.Stdout.Write(append(b, '\n'))
}

func answer(w http.ResponseWriter, status int, body map[string]string) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func main() {
	webhook, err := standardwebhooks.NewWebhook(os.Getenv("WEBHOOK_SECRET")) // the hook's whsec_… secret
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody)) // the raw body: verify before parsing
		if err != nil {
			answer(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "too large"})
			return
		}
		// signature(s) and the 5-minute timestamp window
		if err := webhook.Verify(body, r.Header); err != nil {
			logLine(map[string]any{"event": "rejected", "reason": err.Error()})
			answer(w, http.StatusBadRequest, map[string]string{"error": "invalid signature"}) // not 401/410: some hooks unsubscribe on those
			return
		}
		id := r.Header.Get("webhook-id")
		mu.Lock()
		_, duplicate := seen[id]
		if !duplicate {
			seen[id] = time.Now()
		}
		mu.Unlock()
		if duplicate {
			logLine(map[string]any{"event": "duplicate", "id": id})
			answer(w, http.StatusOK, map[string]string{"status": "OK"}) // already have it: acknowledge, do nothing
			return
		}
		var event map[string]any
		_ = json.Unmarshal(body, &event)
		jobs <- job{id, event}                                      // store first…
		answer(w, http.StatusOK, map[string]string{"status": "OK"}) // …answer at once (200 + {"status":"OK"} meets every success rule)…
	})
	go func() { // …and do the work later, away from the request.
		for j := range jobs {
			logLine(map[string]any{"event": "processed", "id": j.ID, "type": j.Event["type"]})
		}
	}()
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	listener, err := net.Listen("tcp", ":"+port)
	if err != nil {
		log.Fatal(err)
	}
	logLine(map[string]any{"event": "listening", "port": listener.Addr().(*net.TCPAddr).Port})
	log.Fatal(http.Serve(listener, nil))
}
