package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 description of every endpoint in routes.go;
// TestOpenAPIMatchesRoutes keeps the two equal and the API tests validate
// responses against its schemas.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*") // readable by API browsers on other origins
	w.WriteHeader(http.StatusOK)
	w.Write(openAPIDoc)
}
