package testsvc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Destinations is Kamailio's dispatcher state: each destination's URI and
// flags ("AP": active and answering its probes; "IP": taken out after a
// probe failed; "AX": active, not probed yet).
func (k *Kamailio) Destinations(ctx context.Context) (map[string]string, error) {
	body := []byte(`{"jsonrpc":"2.0","method":"dispatcher.list","id":1}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.RPCURL(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("testsvc: dispatcher.list: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("testsvc: dispatcher.list: %w", err)
	}
	var list struct {
		Result struct {
			Records []struct {
				Set struct {
					Targets []struct {
						Dest struct {
							URI   string `json:"URI"`
							Flags string `json:"FLAGS"`
						} `json:"DEST"`
					} `json:"TARGETS"`
				} `json:"SET"`
			} `json:"RECORDS"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("testsvc: dispatcher.list: %w (%.200s)", err, data)
	}
	out := map[string]string{}
	for _, r := range list.Result.Records {
		for _, t := range r.Set.Targets {
			out[t.Dest.URI] = t.Dest.Flags
		}
	}
	return out, nil
}

// WaitDispatching waits until every destination has answered Kamailio's
// OPTIONS probe and is active ("AP"). Kamailio starts before the nodes it
// dispatches to: its first probes fail, and a node stays out of the round
// robin until a later probe succeeds, so calls made before then do not
// spread as the test expects.
func (k *Kamailio) WaitDispatching(ctx context.Context, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		ds, err := k.Destinations(ctx)
		ready := err == nil && len(ds) > 0
		for _, f := range ds {
			ready = ready && strings.HasPrefix(f, "AP")
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testsvc: dispatcher destinations not all active after %v: %v, %v", wait, ds, err)
		case <-time.After(100 * time.Millisecond): // a tenth of the fastest probe interval
		}
	}
}
