module herald.example/bench/sink-go

go 1.21
