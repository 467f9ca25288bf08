// wslplug entry point: builds the command tree from the command table (cli/app.hpp), parses,
// runs one command.
#include "app.hpp"

int main(int argc, char** argv) {
  auto built = wslplug::cli::build_app();
  return wslplug::cli::parse_and_run(built, argc, argv);
}
