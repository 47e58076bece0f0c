# Tiny settings of scripts/protocol.sh shared by CTest pipeline/protocol_smoke
# and docs/results_commands (sourced; BIN must be set): 2 classes of
# Fashion-MNIST's target pool, 4 shots, one seed, factor 1, 2 epochs.
DATA="--dataset fashion_mnist --pool target --classes 2"
SMALL=(--bin "$BIN" --seeds 1 --shots 4 --factor 1 --threads 1 --factors "1 2"
       --backbones "resnet_tiny mobilenet_v2_tiny" --pretrain "--shots 8 --epochs 2"
       --train "--backbone resnet_tiny --image-size 32 --resize 32 --epochs 2 --batch-size 16 --eval-every 2")
D="fashion_mnist-2c"   # the dataset id of DATA in result rows and file names
