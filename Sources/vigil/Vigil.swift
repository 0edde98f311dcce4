import CLI

@main extension VigilCommand {}
