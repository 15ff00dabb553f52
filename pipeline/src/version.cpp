namespace swingpipe::pipeline {
int link_anchor() { return 0; }
}  // namespace swingpipe::pipeline
